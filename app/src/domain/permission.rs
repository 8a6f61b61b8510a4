//! Named capabilities. Every server function that touches an organization's
//! data names the one it needs; a member holds a set of them through their
//! role. Anything not granted is denied.

/// One capability. The stored names (`as_str`) are data: never rename them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    CustomersRead,
    CustomersWrite,
    ProductsRead,
    ProductsWrite,
    InvoicesRead,
    InvoicesWrite,
    InvoicesIssue,
    InvoicesVoid,
    PaymentsRecord,
    Export,
    AuditRead,
    TeamManage,
    SettingsManage,
}

impl Permission {
    pub const ALL: [Self; 13] = [
        Self::CustomersRead,
        Self::CustomersWrite,
        Self::ProductsRead,
        Self::ProductsWrite,
        Self::InvoicesRead,
        Self::InvoicesWrite,
        Self::InvoicesIssue,
        Self::InvoicesVoid,
        Self::PaymentsRecord,
        Self::Export,
        Self::AuditRead,
        Self::TeamManage,
        Self::SettingsManage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CustomersRead => "customers.read",
            Self::CustomersWrite => "customers.write",
            Self::ProductsRead => "products.read",
            Self::ProductsWrite => "products.write",
            Self::InvoicesRead => "invoices.read",
            Self::InvoicesWrite => "invoices.write",
            Self::InvoicesIssue => "invoices.issue",
            Self::InvoicesVoid => "invoices.void",
            Self::PaymentsRecord => "payments.record",
            Self::Export => "export",
            Self::AuditRead => "audit.read",
            Self::TeamManage => "team.manage",
            Self::SettingsManage => "settings.manage",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == value)
    }

    /// What the permission allows, as the role editor explains it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::CustomersRead => "See customers and their details",
            Self::CustomersWrite => "Add, change and archive customers",
            Self::ProductsRead => "See products and tax rates",
            Self::ProductsWrite => "Add and archive products and tax rates",
            Self::InvoicesRead => "See invoices, credit notes, PDFs and the dashboard",
            Self::InvoicesWrite => "Create, change and delete drafts",
            Self::InvoicesIssue => "Issue invoices and credit notes (number and seal them)",
            Self::InvoicesVoid => "Void issued invoices",
            Self::PaymentsRecord => "Record payments, mark paid or unpaid",
            Self::Export => "Download CSV exports",
            Self::AuditRead => "Read and verify the audit log",
            Self::TeamManage => "Invite and remove members, change roles and restrictions",
            Self::SettingsManage => "Change billing and security settings",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// Permissions that reach across every customer. A member limited to a
    /// list of customers never holds them, whatever their role says: they
    /// would let the member lift their own limit.
    pub fn is_organization_wide(self) -> bool {
        matches!(self, Self::TeamManage | Self::SettingsManage)
    }
}

/// A set of permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Permissions(u32);

impl Permissions {
    pub const NONE: Self = Self(0);

    pub fn all() -> Self {
        Self::of(&Permission::ALL)
    }

    pub fn of(permissions: &[Permission]) -> Self {
        Self(permissions.iter().fold(0, |bits, p| bits | p.bit()))
    }

    pub fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    pub fn is_subset_of(self, other: Self) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }

    /// Without the organization-wide permissions (for a restricted member).
    pub fn within_customer_limit(self) -> Self {
        Self::of(
            &self
                .iter()
                .filter(|p| !p.is_organization_wide())
                .collect::<Vec<_>>(),
        )
    }

    /// Space-separated stored names, in a fixed order.
    pub fn to_stored(self) -> String {
        self.iter()
            .map(Permission::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Reads stored names; a name this version does not know grants nothing.
    pub fn from_stored(stored: &str) -> Self {
        Self::of(
            &stored
                .split_whitespace()
                .filter_map(Permission::parse)
                .collect::<Vec<_>>(),
        )
    }

    /// Parses the names a role editor sent; an unknown name is an error
    /// rather than silently dropped.
    pub fn parse_names<'a>(
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, super::FieldError> {
        let mut parsed = Vec::new();
        for name in names {
            let permission = Permission::parse(name.trim()).ok_or_else(|| {
                super::FieldError::new("permissions", format!("Unknown permission \"{name}\"."))
            })?;
            parsed.push(permission);
        }
        Ok(Self::of(&parsed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip_and_are_unique() {
        for permission in Permission::ALL {
            assert_eq!(Permission::parse(permission.as_str()), Some(permission));
        }
        let all = Permissions::all();
        assert_eq!(Permissions::from_stored(&all.to_stored()), all);
        assert_eq!(all.iter().count(), Permission::ALL.len());
    }

    #[test]
    fn unknown_stored_names_grant_nothing_but_unknown_input_is_refused() {
        assert_eq!(
            Permissions::from_stored("invoices.read root.everything"),
            Permissions::of(&[Permission::InvoicesRead])
        );
        let error = Permissions::parse_names(["invoices.read", "root.everything"]).unwrap_err();
        assert_eq!(error.field, "permissions");
    }

    #[test]
    fn subsets_and_the_customer_limit() {
        let sales = Permissions::of(&[Permission::InvoicesRead, Permission::InvoicesWrite]);
        assert!(sales.is_subset_of(Permissions::all()));
        assert!(!Permissions::all().is_subset_of(sales));
        assert!(Permissions::NONE.is_subset_of(sales));
        let limited = Permissions::all().within_customer_limit();
        assert!(!limited.contains(Permission::TeamManage));
        assert!(!limited.contains(Permission::SettingsManage));
        assert!(limited.contains(Permission::AuditRead));
    }
}

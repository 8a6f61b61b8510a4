//! Built-in roles, and the rules for changing who holds which.

use super::permission::{Permission, Permissions};

/// A built-in role. An organization may add custom roles (a name and a set
/// of permissions) beside these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
    Admin,
    Accountant,
    Sales,
    Viewer,
}

impl Role {
    pub const ALL: [Self; 5] = [
        Self::Owner,
        Self::Admin,
        Self::Accountant,
        Self::Sales,
        Self::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Accountant => "accountant",
            Self::Sales => "sales",
            Self::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Owner => "Owner",
            Self::Admin => "Admin",
            Self::Accountant => "Accountant",
            Self::Sales => "Sales",
            Self::Viewer => "Viewer",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::Owner => {
                "Everything, including making or removing owners. There is always at least one."
            }
            Self::Admin => "Everything except changing or removing owners.",
            Self::Accountant => "The whole billing cycle, payments, exports and the audit log.",
            Self::Sales => "Customers and invoices up to issuing them; no payments or voids.",
            Self::Viewer => "Reads customers, products and invoices; changes nothing.",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == value)
    }

    pub fn permissions(self) -> Permissions {
        use Permission::*;
        match self {
            Self::Owner | Self::Admin => Permissions::all(),
            Self::Accountant => Permissions::of(&[
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
            ]),
            Self::Sales => Permissions::of(&[
                CustomersRead,
                CustomersWrite,
                ProductsRead,
                InvoicesRead,
                InvoicesWrite,
                InvoicesIssue,
            ]),
            Self::Viewer => Permissions::of(&[CustomersRead, ProductsRead, InvoicesRead]),
        }
    }
}

/// Why a change to someone's membership is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamRefusal {
    /// Members do not change their own role, limits or membership: a
    /// second person has to.
    OwnMembership,
    /// Only owners make, change or remove owners.
    OwnersOnly,
    /// Nobody grants a permission they do not hold themselves.
    BeyondOwnPermissions,
    /// Owners see every customer.
    OwnerCannotBeLimited,
}

impl TeamRefusal {
    pub fn message(self) -> &'static str {
        match self {
            Self::OwnMembership => {
                "You cannot change your own membership. Ask another owner or admin."
            }
            Self::OwnersOnly => "Only an owner can make, change or remove owners.",
            Self::BeyondOwnPermissions => "You cannot grant permissions you do not have yourself.",
            Self::OwnerCannotBeLimited => "Owners always see every customer.",
        }
    }
}

/// The member making a change.
#[derive(Debug, Clone, Copy)]
pub struct Manager {
    pub is_owner: bool,
    pub permissions: Permissions,
}

/// The membership being changed.
#[derive(Debug, Clone, Copy)]
pub struct Managed {
    pub is_self: bool,
    pub is_owner: bool,
}

/// What the change grants, if it grants anything.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    pub owner: bool,
    pub permissions: Permissions,
}

/// Permissions whose grant needs a recent confirmation (step-up): taking all
/// the data out at once, and managing the team or the organization's
/// settings, the ways to grant more (OWASP ASVS 5.0 V6.6.3: re-authenticate
/// before sensitive changes).
pub const STEP_UP_PERMISSIONS: [Permission; 3] = [
    Permission::Export,
    Permission::TeamManage,
    Permission::SettingsManage,
];

impl Grant {
    /// Whether granting this needs a recent confirmation: making an owner,
    /// or any of [`STEP_UP_PERMISSIONS`].
    pub fn needs_step_up(&self) -> bool {
        self.owner
            || STEP_UP_PERMISSIONS
                .iter()
                .any(|permission| self.permissions.contains(*permission))
    }
}

/// Checks a change to `target` (a role change, a customer limit, a removal)
/// by `manager`, who already holds `team.manage`.
pub fn check_team_change(
    manager: Manager,
    target: Option<Managed>,
    grant: Option<Grant>,
) -> Result<(), TeamRefusal> {
    if let Some(target) = target {
        if target.is_self {
            return Err(TeamRefusal::OwnMembership);
        }
        if target.is_owner && !manager.is_owner {
            return Err(TeamRefusal::OwnersOnly);
        }
    }
    if let Some(grant) = grant {
        if grant.owner && !manager.is_owner {
            return Err(TeamRefusal::OwnersOnly);
        }
        if !grant.permissions.is_subset_of(manager.permissions) {
            return Err(TeamRefusal::BeyondOwnPermissions);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_stored_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("superuser"), None);
    }

    #[test]
    fn each_role_is_a_subset_of_the_one_above() {
        let chain = [Role::Viewer, Role::Sales, Role::Accountant, Role::Admin];
        for pair in chain.windows(2) {
            assert!(pair[0].permissions().is_subset_of(pair[1].permissions()));
        }
        assert!(
            !Role::Sales
                .permissions()
                .contains(Permission::PaymentsRecord)
        );
        assert!(
            !Role::Accountant
                .permissions()
                .contains(Permission::TeamManage)
        );
    }

    const ADMIN: Manager = Manager {
        is_owner: false,
        permissions: Permissions::NONE,
    };

    fn admin() -> Manager {
        Manager {
            permissions: Role::Admin.permissions(),
            ..ADMIN
        }
    }

    fn member(is_owner: bool) -> Option<Managed> {
        Some(Managed {
            is_self: false,
            is_owner,
        })
    }

    fn grant(role: Role) -> Option<Grant> {
        Some(Grant {
            owner: role == Role::Owner,
            permissions: role.permissions(),
        })
    }

    #[test]
    fn nobody_changes_their_own_membership() {
        let myself = Some(Managed {
            is_self: true,
            is_owner: true,
        });
        let owner = Manager {
            is_owner: true,
            ..admin()
        };
        assert_eq!(
            check_team_change(owner, myself, grant(Role::Viewer)),
            Err(TeamRefusal::OwnMembership)
        );
    }

    #[test]
    fn only_owners_touch_owners() {
        let owner = Manager {
            is_owner: true,
            ..admin()
        };
        assert_eq!(
            check_team_change(admin(), member(true), grant(Role::Viewer)),
            Err(TeamRefusal::OwnersOnly)
        );
        assert_eq!(
            check_team_change(admin(), member(false), grant(Role::Owner)),
            Err(TeamRefusal::OwnersOnly)
        );
        assert_eq!(
            check_team_change(owner, member(true), grant(Role::Admin)),
            Ok(())
        );
        assert_eq!(
            check_team_change(admin(), member(false), grant(Role::Admin)),
            Ok(())
        );
    }

    #[test]
    fn nobody_grants_beyond_their_own_permissions() {
        // A custom role with team.manage but no payments cannot hand out payments.
        let manager = Manager {
            is_owner: false,
            permissions: Permissions::of(&[Permission::TeamManage, Permission::InvoicesRead]),
        };
        assert_eq!(
            check_team_change(manager, member(false), grant(Role::Accountant)),
            Err(TeamRefusal::BeyondOwnPermissions)
        );
        let viewer_like = Some(Grant {
            owner: false,
            permissions: Permissions::of(&[Permission::InvoicesRead]),
        });
        assert_eq!(
            check_team_change(manager, member(false), viewer_like),
            Ok(())
        );
    }
}

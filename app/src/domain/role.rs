/// A member's role in an organization. The founder of an organization is its
/// owner; further roles arrive with team management.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Owner => "Owner",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "owner" => Some(Self::Owner),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_stored_names() {
        assert_eq!(Role::parse(Role::Owner.as_str()), Some(Role::Owner));
        assert_eq!(Role::parse("superuser"), None);
    }
}

//! What the security log records.

/// A kind of security event. The stored names are stable: they are data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityEventKind {
    SignUp,
    SignIn,
    SignInFailed,
    AccountLocked,
    SignOut,
    PasswordChanged,
    PasswordResetRequested,
    PasswordResetCompleted,
    SessionRevoked,
    SecondFactorAdded,
    SecondFactorRemoved,
    SecondFactorFailed,
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    SecondFactorPolicyChanged,
    /// A passkey answered with a signature counter that did not move
    /// forward: the authenticator may have been copied.
    PasskeyCloneSuspected,
    MemberInvited,
    InvitationRevoked,
    InvitationAccepted,
    MemberRoleChanged,
    MemberCustomersChanged,
    MemberRemoved,
    OwnershipTransferred,
    RoleCreated,
    RoleChanged,
    RoleDeleted,
    OrganizationSwitched,
    /// The user proved they read mail at their address (the emailed link).
    EmailConfirmed,
    OrganizationCreated,
}

const ALL: [SecurityEventKind; 29] = [
    SecurityEventKind::SignUp,
    SecurityEventKind::SignIn,
    SecurityEventKind::SignInFailed,
    SecurityEventKind::AccountLocked,
    SecurityEventKind::SignOut,
    SecurityEventKind::PasswordChanged,
    SecurityEventKind::PasswordResetRequested,
    SecurityEventKind::PasswordResetCompleted,
    SecurityEventKind::SessionRevoked,
    SecurityEventKind::SecondFactorAdded,
    SecurityEventKind::SecondFactorRemoved,
    SecurityEventKind::SecondFactorFailed,
    SecurityEventKind::RecoveryCodeUsed,
    SecurityEventKind::RecoveryCodesRegenerated,
    SecurityEventKind::SecondFactorPolicyChanged,
    SecurityEventKind::PasskeyCloneSuspected,
    SecurityEventKind::MemberInvited,
    SecurityEventKind::InvitationRevoked,
    SecurityEventKind::InvitationAccepted,
    SecurityEventKind::MemberRoleChanged,
    SecurityEventKind::MemberCustomersChanged,
    SecurityEventKind::MemberRemoved,
    SecurityEventKind::OwnershipTransferred,
    SecurityEventKind::RoleCreated,
    SecurityEventKind::RoleChanged,
    SecurityEventKind::RoleDeleted,
    SecurityEventKind::OrganizationSwitched,
    SecurityEventKind::EmailConfirmed,
    SecurityEventKind::OrganizationCreated,
];

impl SecurityEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignUp => "sign_up",
            Self::SignIn => "sign_in",
            Self::SignInFailed => "sign_in_failed",
            Self::AccountLocked => "account_locked",
            Self::SignOut => "sign_out",
            Self::PasswordChanged => "password_changed",
            Self::PasswordResetRequested => "password_reset_requested",
            Self::PasswordResetCompleted => "password_reset_completed",
            Self::SessionRevoked => "session_revoked",
            Self::SecondFactorAdded => "second_factor_added",
            Self::SecondFactorRemoved => "second_factor_removed",
            Self::SecondFactorFailed => "second_factor_failed",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            Self::SecondFactorPolicyChanged => "second_factor_policy_changed",
            Self::PasskeyCloneSuspected => "passkey_clone_suspected",
            Self::MemberInvited => "member_invited",
            Self::InvitationRevoked => "invitation_revoked",
            Self::InvitationAccepted => "invitation_accepted",
            Self::MemberRoleChanged => "member_role_changed",
            Self::MemberCustomersChanged => "member_customers_changed",
            Self::MemberRemoved => "member_removed",
            Self::OwnershipTransferred => "ownership_transferred",
            Self::RoleCreated => "role_created",
            Self::RoleChanged => "role_changed",
            Self::RoleDeleted => "role_deleted",
            Self::OrganizationSwitched => "organization_switched",
            Self::EmailConfirmed => "email_confirmed",
            Self::OrganizationCreated => "organization_created",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        ALL.into_iter().find(|kind| kind.as_str() == value)
    }

    /// How the event reads in the activity list.
    pub fn label(self) -> &'static str {
        match self {
            Self::SignUp => "Account created",
            Self::SignIn => "Signed in",
            Self::SignInFailed => "Failed sign-in",
            Self::AccountLocked => "Sign-in locked after failed attempts",
            Self::SignOut => "Signed out",
            Self::PasswordChanged => "Password changed",
            Self::PasswordResetRequested => "Password reset requested",
            Self::PasswordResetCompleted => "Password reset",
            Self::SessionRevoked => "Session ended remotely",
            Self::SecondFactorAdded => "Two-step verification added",
            Self::SecondFactorRemoved => "Two-step verification removed",
            Self::SecondFactorFailed => "Wrong verification code",
            Self::RecoveryCodeUsed => "Recovery code used",
            Self::RecoveryCodesRegenerated => "New recovery codes",
            Self::SecondFactorPolicyChanged => "Two-step verification rule changed",
            Self::PasskeyCloneSuspected => "Passkey refused: possibly copied",
            Self::MemberInvited => "Member invited",
            Self::InvitationRevoked => "Invitation revoked",
            Self::InvitationAccepted => "Invitation accepted",
            Self::MemberRoleChanged => "Member's role changed",
            Self::MemberCustomersChanged => "Member's customers changed",
            Self::MemberRemoved => "Member removed",
            Self::OwnershipTransferred => "Ownership transferred",
            Self::RoleCreated => "Role created",
            Self::RoleChanged => "Role changed",
            Self::RoleDeleted => "Role deleted",
            Self::OrganizationSwitched => "Switched organization",
            Self::EmailConfirmed => "Email address confirmed",
            Self::OrganizationCreated => "Organization created",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip_and_are_unique() {
        for kind in ALL {
            assert_eq!(SecurityEventKind::parse(kind.as_str()), Some(kind));
        }
        let mut names: Vec<_> = ALL.iter().map(|kind| kind.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }
}

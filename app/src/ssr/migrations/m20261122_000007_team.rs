//! Teams: custom roles, customer limits, invitations; the customer an audit
//! event concerns (so a limited member's view of the log can be filtered);
//! the organization a session works in (so removing a member ends them).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Roles::Table)
                    .col(uuid(Roles::Id).primary_key())
                    .col(uuid(Roles::OrganizationId))
                    .col(string_len(Roles::Name, 60))
                    .col(string_len(Roles::NameLookup, 60))
                    // Space-separated permission names.
                    .col(text(Roles::Permissions))
                    .col(timestamp_with_time_zone(Roles::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Roles::Table, Roles::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("roles_organization_name")
                    .table(Roles::Table)
                    .col(Roles::OrganizationId)
                    .col(Roles::NameLookup)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // One column per statement: SQLite alters one thing at a time.
        // `role` keeps a built-in role's name, or `custom` with the role's id.
        manager
            .alter_table(
                Table::alter()
                    .table(Memberships::Table)
                    .add_column(uuid_null(Memberships::CustomRoleId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Memberships::Table)
                    .add_column(boolean(Memberships::LimitedToCustomers).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MembershipCustomers::Table)
                    .col(uuid(MembershipCustomers::MembershipId))
                    .col(uuid(MembershipCustomers::CustomerId))
                    .primary_key(
                        Index::create()
                            .col(MembershipCustomers::MembershipId)
                            .col(MembershipCustomers::CustomerId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                MembershipCustomers::Table,
                                MembershipCustomers::MembershipId,
                            )
                            .to(Memberships::Table, Memberships::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MembershipCustomers::Table, MembershipCustomers::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("membership_customers_customer")
                    .table(MembershipCustomers::Table)
                    .col(MembershipCustomers::CustomerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .col(uuid(Invitations::Id).primary_key())
                    .col(uuid(Invitations::OrganizationId))
                    .col(string_len(Invitations::Email, 254))
                    .col(string_len(Invitations::EmailLookup, 254))
                    .col(string_len(Invitations::Role, 20))
                    .col(uuid_null(Invitations::CustomRoleId))
                    .col(boolean(Invitations::LimitedToCustomers))
                    // Space-separated customer ids, for a limited invitee.
                    .col(text(Invitations::CustomerIds))
                    // SHA-256 (hex) of the token in the emailed link.
                    .col(string_len_uniq(Invitations::TokenHash, 64))
                    .col(uuid(Invitations::InvitedBy))
                    .col(timestamp_with_time_zone(Invitations::CreatedAt))
                    .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Invitations::AcceptedAt))
                    .col(uuid_null(Invitations::AcceptedBy))
                    .col(timestamp_with_time_zone_null(Invitations::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Invitations::Table, Invitations::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("invitations_organization")
                    .table(Invitations::Table)
                    .col(Invitations::OrganizationId)
                    .col(Invitations::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .add_column(uuid_null(AuditEvents::CustomerId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_events_customer")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::CustomerId)
                    .col(AuditEvents::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(uuid_null(Sessions::OrganizationId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sessions_user_organization")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .col(Sessions::OrganizationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Invitations::Table.into_iden(),
            MembershipCustomers::Table.into_iden(),
            Roles::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    OrganizationId,
    Name,
    NameLookup,
    Permissions,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    CustomRoleId,
    LimitedToCustomers,
}

#[derive(DeriveIden)]
enum MembershipCustomers {
    Table,
    MembershipId,
    CustomerId,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    OrganizationId,
    Email,
    EmailLookup,
    Role,
    CustomRoleId,
    LimitedToCustomers,
    CustomerIds,
    TokenHash,
    InvitedBy,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
    AcceptedBy,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    CustomerId,
    Seq,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    UserId,
    OrganizationId,
}

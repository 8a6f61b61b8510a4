//! The team: members with their roles and customer limits, invitations.

use crate::api::team::{
    ChangeMemberRole, CustomerLimit, CustomerRef, InvitationView, MemberView, RemoveMember,
    RevokeInvitation, RoleView, TransferOwnership, invite_member, set_member_customers,
    team_overview,
};
use crate::components::confirm_identity::{ConfirmIdentity, needs_confirmation, other_error};
use crate::components::customer_picker::CustomerPicker;
use crate::components::form::FormAlert;
use crate::components::time::format_utc;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// Links between the three team pages.
#[component]
pub fn TeamTabs() -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Team">
            <A href="/app/team" exact=true>"Members"</A>
            <A href="/app/team/roles">"Roles"</A>
            <A href="/app/team/access">"Access report"</A>
        </nav>
    }
    .into_any()
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let change_role = ServerAction::<ChangeMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let transfer = ServerAction::<TransferOwnership>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    // Kept here, not in the form: the form is rendered anew with the team
    // after every change, and the answer (and its notice) must outlive it.
    let invite: InviteAction = Action::new(
        move |(email, role, limit): &(String, String, CustomerLimit)| {
            let (email, role, limit) = (email.clone(), role.clone(), limit.clone());
            async move { invite_member(email, role, limit).await }
        },
    );
    // Bumped by the customer-limit editor.
    let changed = RwSignal::new(0_u32);
    let team = Resource::new(
        move || {
            (
                change_role.version().get(),
                remove.version().get(),
                transfer.version().get(),
                revoke.version().get(),
                invite.version().get(),
                changed.get(),
            )
        },
        |_| team_overview(),
    );
    let error = Signal::derive(move || {
        other_error(change_role.value().get())
            .or_else(|| other_error(remove.value().get()))
            .or_else(|| other_error(transfer.value().get()))
            .or_else(|| revoke.value().get().and_then(Result::err))
    });
    let must_confirm = Signal::derive(move || {
        needs_confirmation(change_role.value().get())
            || needs_confirmation(remove.value().get())
            || needs_confirmation(transfer.value().get())
    });
    view! {
        <Title text="Team" />
        <h1>"Team"</h1>
        <TeamTabs />
        <ConfirmIdentity when=must_confirm />
        <FormAlert error />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match team.await {
                    Ok(team) => {
                        let roles = team.roles.clone();
                        let you_are_owner = team.you_are_owner;
                        view! {
                            <section class="panel">
                                <h2>"Members"</h2>
                                <table class="list" data-testid="members">
                                    <thead><tr>
                                        <th scope="col">"Member"</th>
                                        <th scope="col">"Role"</th>
                                        <th scope="col">"Customers"</th>
                                        <th scope="col">"Joined"</th>
                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        {team.members.into_iter().map(|member| view! {
                                            <MemberRow
                                                member
                                                roles=roles.clone()
                                                you_are_owner
                                                change_role
                                                remove
                                                transfer
                                                changed
                                            />
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </section>
                            <InviteForm roles=team.roles.clone() you_are_owner invite />
                            <section class="panel">
                                <h2>"Pending invitations"</h2>
                                {if team.invitations.is_empty() {
                                    view! { <p class="empty">"No invitation is waiting for an answer."</p> }.into_any()
                                } else {
                                    view! {
                                        <table class="list" data-testid="invitations">
                                            <thead><tr>
                                                <th scope="col">"Email"</th>
                                                <th scope="col">"Role"</th>
                                                <th scope="col">"Customers"</th>
                                                <th scope="col">"Invited by"</th>
                                                <th scope="col">"Expires"</th>
                                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                            </tr></thead>
                                            <tbody>
                                                {team.invitations.into_iter().map(|invitation| view! {
                                                    <tr>
                                                        <td>{invitation.email}</td>
                                                        <td>{invitation.role_label}</td>
                                                        <td>{if invitation.limited_to_customers {
                                                            format!("{} listed", invitation.customer_count)
                                                        } else {
                                                            "Every customer".to_owned()
                                                        }}</td>
                                                        <td>{invitation.invited_by}</td>
                                                        <td>{format_utc(invitation.expires_at)}</td>
                                                        <td class="actions">
                                                            <ActionForm action=revoke attr:class="inline">
                                                                <input type="hidden" name="id" value=invitation.id.to_string() />
                                                                <button type="submit" class="link">"Revoke"</button>
                                                            </ActionForm>
                                                        </td>
                                                    </tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    }.into_any()
                                }}
                            </section>
                        }.into_any()
                    }
                    Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

/// The roles a manager may hand out: owners only by owners.
fn role_options(roles: &[RoleView], current: &str, you_are_owner: bool) -> impl IntoView + use<> {
    roles
        .iter()
        .filter(|role| you_are_owner || role.key != "owner")
        .map(|role| {
            view! {
                <option value=role.key.clone() selected=role.key == current>{role.name.clone()}</option>
            }
        })
        .collect_view()
}

fn describe_limit(member: &MemberView) -> String {
    if !member.limited_to_customers {
        return "Every customer".into();
    }
    if member.customers.is_empty() {
        return "None".into();
    }
    member
        .customers
        .iter()
        .map(|customer| customer.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[component]
fn MemberRow(
    member: MemberView,
    roles: Vec<RoleView>,
    you_are_owner: bool,
    change_role: ServerAction<ChangeMemberRole>,
    remove: ServerAction<RemoveMember>,
    transfer: ServerAction<TransferOwnership>,
    changed: RwSignal<u32>,
) -> impl IntoView {
    // Nobody changes their own membership, and only owners touch owners.
    let editable = !member.is_you && (you_are_owner || !member.is_owner);
    let editing = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let id = member.membership_id.to_string();
    let limit_text = describe_limit(&member);
    let options = role_options(&roles, &member.role, you_are_owner);
    let (transfer_id, remove_id) = (id.clone(), id.clone());
    let can_transfer = you_are_owner && !member.is_you && !member.is_owner;
    view! {
        <tr data-member=member.email.clone()>
            <td>
                <strong>{member.name.clone()}</strong>
                {member.is_you.then_some(" (you)")}
                <br />
                <span class="muted">{member.email.clone()}</span>
            </td>
            <td>
                {if editable {
                    view! {
                        <ActionForm action=change_role attr:class="inline">
                            <input type="hidden" name="membership_id" value=id.clone() />
                            <label class="visually-hidden" for=format!("role-{id}")>"Role"</label>
                            <select id=format!("role-{id}") name="role">
                                {options}
                            </select>
                            <button type="submit" class="link">"Change"</button>
                        </ActionForm>
                    }.into_any()
                } else {
                    view! { <span>{member.role_label.clone()}</span> }.into_any()
                }}
            </td>
            <td>
                <span class="limit">{limit_text}</span>
                {(editable && !member.is_owner).then(|| view! {
                    <button type="button" class="link" on:click=move |_| editing.update(|open| *open = !*open)>
                        "Edit"
                    </button>
                })}
            </td>
            <td>{format_utc(member.joined_at)}</td>
            <td class="actions">
                {can_transfer.then(|| view! {
                    <ActionForm action=transfer attr:class="inline">
                        <input type="hidden" name="membership_id" value=transfer_id />
                        <button type="submit" class="link">"Transfer ownership"</button>
                    </ActionForm>
                })}
                {editable.then(|| view! {
                    // Two steps: removing someone is not undone by a click.
                    <button type="button" class="link danger" hidden=move || confirming.get() on:click=move |_| confirming.set(true)>
                        "Remove"
                    </button>
                    <span hidden=move || !confirming.get()>
                        <ActionForm action=remove attr:class="inline">
                            <input type="hidden" name="membership_id" value=remove_id />
                            <button type="submit" class="button danger">"Confirm removal"</button>
                        </ActionForm>
                    </span>
                })}
            </td>
        </tr>
        <Show when=move || editing.get()>
            <tr class="editor">
                <td colspan="5">
                    <LimitEditor member=member.clone() changed editing />
                </td>
            </tr>
        </Show>
    }
    .into_any()
}

/// Sets which customers a member sees.
#[component]
fn LimitEditor(
    member: MemberView,
    changed: RwSignal<u32>,
    editing: RwSignal<bool>,
) -> impl IntoView {
    let limited = RwSignal::new(member.limited_to_customers);
    let selected: RwSignal<Vec<CustomerRef>> = RwSignal::new(member.customers.clone());
    let membership_id = member.membership_id;
    let save = Action::new(move |limit: &CustomerLimit| {
        let limit = limit.clone();
        async move { set_member_customers(membership_id, limit).await }
    });
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(()))) {
            editing.set(false);
            changed.update(|n| *n += 1);
        }
    });
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    view! {
        <div class="stacked" data-testid="limit-editor">
            <FormAlert error />
            <label class="check">
                <input type="radio" name=format!("limit-{membership_id}") prop:checked=move || !limited.get() on:change=move |_| limited.set(false) />
                "Every customer"
            </label>
            <label class="check">
                <input type="radio" name=format!("limit-{membership_id}") prop:checked=move || limited.get() on:change=move |_| limited.set(true) />
                "Only these customers"
            </label>
            <Show when=move || limited.get()>
                <CustomerPicker selected id=format!("picker-{membership_id}") />
            </Show>
            <button
                type="button"
                class="button primary"
                disabled=move || save.pending().get()
                on:click=move |_| {
                    save.dispatch(CustomerLimit {
                        limited: limited.get_untracked(),
                        customer_ids: selected.get_untracked().iter().map(|c| c.id).collect(),
                    });
                }
            >"Save customers"</button>
        </div>
    }
    .into_any()
}

type InviteAction = Action<(String, String, CustomerLimit), Result<InvitationView, AppError>>;

#[component]
fn InviteForm(roles: Vec<RoleView>, you_are_owner: bool, invite: InviteAction) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let role = RwSignal::new("viewer".to_owned());
    let limited = RwSignal::new(false);
    let selected: RwSignal<Vec<CustomerRef>> = RwSignal::new(Vec::new());
    let error = Signal::derive(move || other_error(invite.value().get()));
    let must_confirm = Signal::derive(move || needs_confirmation(invite.value().get()));
    let options = role_options(&roles, "viewer", you_are_owner);
    let field_error = move |field: &str| {
        invite
            .value()
            .get()
            .and_then(Result::err)
            .filter(|error: &AppError| error.field() == Some(field))
            .map(|error| error.to_string())
    };
    view! {
        <section class="panel">
            <h2>"Invite someone"</h2>
            <p class="hint">"They get a link by email, valid once for 7 days. They join with their own account: nobody shares a password."</p>
            {move || invite.value().get().and_then(Result::ok).map(|sent| view! {
                <div class="notice" role="status">{format!("Invitation sent to {}.", sent.email)}</div>
            })}
            <ConfirmIdentity when=must_confirm />
            <form class="stacked" on:submit=move |event| {
                event.prevent_default();
                invite.dispatch((
                    email.get_untracked(),
                    role.get_untracked(),
                    CustomerLimit {
                        limited: limited.get_untracked(),
                        customer_ids: selected.get_untracked().iter().map(|c| c.id).collect(),
                    },
                ));
            }>
                <FormAlert error />
                <div class="field" class:invalid=move || field_error("email").is_some()>
                    <label for="invite-email">"Email"</label>
                    <input id="invite-email" type="email" required=true prop:value=email on:input=move |event| email.set(event_target_value(&event)) />
                    <p class="field-error" role="alert">{move || field_error("email")}</p>
                </div>
                <div class="field">
                    <label for="invite-role">"Role"</label>
                    <select id="invite-role" on:change=move |event| role.set(event_target_value(&event))>
                        {options}
                    </select>
                    <p class="field-error" role="alert">{move || field_error("role")}</p>
                </div>
                <label class="check">
                    <input type="checkbox" id="invite-limited" prop:checked=limited on:change=move |event| limited.set(event_target_checked(&event)) />
                    "Only some customers"
                </label>
                <Show when=move || limited.get()>
                    <CustomerPicker selected id="invite-customers".to_owned() />
                </Show>
                <p class="field-error" role="alert">{move || field_error("customers")}</p>
                <button type="submit" class="button primary" disabled=move || invite.pending().get()>"Send invitation"</button>
            </form>
        </section>
    }
    .into_any()
}

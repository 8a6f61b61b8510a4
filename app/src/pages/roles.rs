//! Roles: the built-in ones, explained, and the organization's own.

use crate::api::team::{DeleteRole, RoleView, save_role, team_overview};
use crate::components::form::FormAlert;
use crate::domain::Permission;
use crate::pages::team::TeamTabs;
use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

#[component]
pub fn RolesPage() -> impl IntoView {
    let delete = ServerAction::<DeleteRole>::new();
    let changed = RwSignal::new(0_u32);
    let team = Resource::new(
        move || (delete.version().get(), changed.get()),
        |_| team_overview(),
    );
    // The role being edited: `None` for a new one.
    let editing: RwSignal<Option<RoleView>> = RwSignal::new(None);
    let error = Signal::derive(move || delete.value().get().and_then(Result::err));
    view! {
        <Title text="Roles" />
        <h1>"Roles"</h1>
        <TeamTabs />
        <FormAlert error />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match team.await {
                    Ok(team) => view! {
                        <table class="list permission-matrix" data-testid="roles">
                            <thead><tr>
                                <th scope="col">"Role"</th>
                                {Permission::ALL.into_iter().map(|permission| view! {
                                    <th scope="col" title=permission.describe()>{permission.as_str()}</th>
                                }).collect_view()}
                                <th scope="col">"Members"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {team.roles.into_iter().map(|role| {
                                    let edit = role.clone();
                                    view! {
                                        <tr>
                                            <th scope="row" title=role.description.clone()>{role.name.clone()}</th>
                                            {Permission::ALL.into_iter().map(|permission| {
                                                let held = role.permissions.iter().any(|name| name == permission.as_str());
                                                view! { <td class="held">{if held { "✓" } else { "" }}</td> }
                                            }).collect_view()}
                                            <td>{role.member_count}</td>
                                            <td class="actions">
                                                {(!role.built_in).then(|| view! {
                                                    <button type="button" class="link" on:click=move |_| editing.set(Some(edit.clone()))>"Edit"</button>
                                                    <ActionForm action=delete attr:class="inline">
                                                        <input type="hidden" name="id" value=role.key.clone() />
                                                        <button type="submit" class="link danger">"Delete"</button>
                                                    </ActionForm>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
        {move || {
            let role = editing.get();
            view! { <RoleEditor role changed editing /> }
        }}
    }
    .into_any()
}

/// Creates a custom role, or changes the one passed in.
#[component]
fn RoleEditor(
    role: Option<RoleView>,
    changed: RwSignal<u32>,
    editing: RwSignal<Option<RoleView>>,
) -> impl IntoView {
    let id: Option<Uuid> = role.as_ref().and_then(|role| role.key.parse().ok());
    let name = RwSignal::new(
        role.as_ref()
            .map(|role| role.name.clone())
            .unwrap_or_default(),
    );
    let chosen: RwSignal<Vec<String>> =
        RwSignal::new(role.map(|role| role.permissions).unwrap_or_default());
    let save = Action::new(move |(name, permissions): &(String, Vec<String>)| {
        let (name, permissions) = (name.clone(), permissions.clone());
        async move { save_role(id, name, permissions).await }
    });
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) {
            changed.update(|n| *n += 1);
            editing.set(None);
        }
    });
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let field_error = move |field: &str| {
        error
            .get()
            .filter(|error| error.field() == Some(field))
            .map(|error| error.to_string())
    };
    view! {
        <section class="panel" data-testid="role-editor">
            <h2>{if id.is_some() { "Change the role" } else { "New role" }}</h2>
            <form class="stacked" on:submit=move |event| {
                event.prevent_default();
                save.dispatch((name.get_untracked(), chosen.get_untracked()));
            }>
                <FormAlert error />
                <div class="field" class:invalid=move || field_error("name").is_some()>
                    <label for="role-name">"Name"</label>
                    <input id="role-name" required=true prop:value=name on:input=move |event| name.set(event_target_value(&event)) />
                    <p class="field-error" role="alert">{move || field_error("name")}</p>
                </div>
                <fieldset>
                    <legend>"Permissions"</legend>
                    {Permission::ALL.into_iter().map(|permission| {
                        let key = permission.as_str().to_owned();
                        let held = key.clone();
                        view! {
                            <label class="check">
                                <input
                                    type="checkbox"
                                    value=key.clone()
                                    prop:checked=move || chosen.read().contains(&held)
                                    on:change=move |event| {
                                        let on = event_target_checked(&event);
                                        chosen.update(|list| {
                                            list.retain(|name| *name != key);
                                            if on { list.push(key.clone()); }
                                        });
                                    }
                                />
                                <code>{permission.as_str()}</code>" — "{permission.describe()}
                            </label>
                        }
                    }).collect_view()}
                    <p class="field-error" role="alert">{move || field_error("permissions")}</p>
                </fieldset>
                <button type="submit" class="button primary" disabled=move || save.pending().get()>"Save role"</button>
            </form>
        </section>
    }
    .into_any()
}

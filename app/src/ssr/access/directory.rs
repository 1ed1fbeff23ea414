//! The directory: `users` rows (the same people who sign in, matched by email) plus groups.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::AnyConnection;

use crate::shapes::{DirectoryUser, GroupView, ImportOutcome, UserUpdate};

use super::audit::{self, Entry};
use super::{AccessError, AccessResult, Actor, Body, Conn, Tx, new_id, now, user_id, user_row};
use crate::domain::{
    self, DirectorySnapshot, Email, ExistingUsers, Group, GroupId, Role, RoleSet, Timestamp, User,
    UserId, UserStatus,
};
use crate::ssr::clock::now_ms;
use crate::ssr::db::Db;
use crate::ssr::users;

/// A group with one of its members (none for an empty group).
#[derive(sqlx::FromRow)]
struct GroupMemberRow {
    id: String,
    name: String,
    user_id: Option<i64>,
}

async fn group_rows(conn: &mut AnyConnection) -> AccessResult<Vec<GroupMemberRow>> {
    Ok(sqlx::query_as(
        "SELECT g.id, g.name, m.user_id FROM groups g LEFT JOIN group_members m ON m.group_id = g.id ORDER BY g.name",
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// The editable profile fields of a user, as the audit event's "before".
#[derive(sqlx::FromRow)]
struct ProfileRow {
    display_name: String,
    manager_id: Option<i64>,
    department: Option<String>,
    job_title: Option<String>,
    status: String,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    display_name: String,
    manager_id: Option<i64>,
    department: Option<String>,
    job_title: Option<String>,
    status: String,
    role: String,
}

/// Everyone, with their groups, by name.
pub async fn list_users(conn: impl Into<Conn<'_>>) -> AccessResult<Vec<DirectoryUser>> {
    let mut conn = conn.into().get().await?;
    let rows: Vec<UserRow> = sqlx::query_as(
        "SELECT id, email, display_name, manager_id, department, job_title, status, role FROM users ORDER BY display_name, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let campaign_admins: BTreeSet<i64> =
        sqlx::query_scalar("SELECT user_id FROM user_roles WHERE role = $1")
            .bind(Role::CampaignAdmin.as_str())
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let mut groups_of: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for g in group_rows(&mut conn).await? {
        if let Some(m) = g.user_id {
            groups_of.entry(m).or_default().push(g.name);
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| DirectoryUser {
            id: r.id,
            email: r.email,
            name: r.display_name,
            manager_id: r.manager_id,
            department: r.department,
            job_title: r.job_title,
            status: r.status,
            super_admin: r.role == "super_admin",
            campaign_admin: campaign_admins.contains(&r.id),
            groups: groups_of.remove(&r.id).unwrap_or_default(),
        })
        .collect())
}

/// Display names by user id, for showing people in lists and messages.
pub async fn names(conn: impl Into<Conn<'_>>) -> AccessResult<BTreeMap<String, String>> {
    let mut conn = conn.into().get().await?;
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, display_name FROM users")
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect())
}

/// The directory view the pure rules resolve approvers against.
pub async fn snapshot(conn: impl Into<Conn<'_>>) -> AccessResult<DirectorySnapshot> {
    let mut conn = conn.into().get().await?;
    let mut snap = DirectorySnapshot::default();
    for u in list_users(&mut *conn).await? {
        // Never drop a person who can sign in (see `directory_email`).
        let email = crate::ssr::users::directory_email(u.id, &u.email);
        let status = UserStatus::parse(&u.status).unwrap_or(UserStatus::Suspended);
        if u.super_admin && status.is_active() {
            snap.super_admins.push(user_id(u.id));
        }
        snap.add_user(User {
            id: user_id(u.id),
            email,
            display_name: u.name,
            managers: u.manager_id.map(user_id).into_iter().collect(),
            department: u.department,
            job_title: u.job_title,
            status,
        });
    }
    for g in group_rows(&mut conn).await? {
        let group = snap
            .groups
            .entry(GroupId::new(g.id.clone()))
            .or_insert_with(|| Group {
                id: GroupId::new(g.id),
                name: g.name,
                members: Vec::new(),
            });
        if let Some(m) = g.user_id {
            group.members.push(user_id(m));
        }
    }
    let app_owners: Vec<(String, i64)> = sqlx::query_as("SELECT app_id, user_id FROM app_owners")
        .fetch_all(&mut *conn)
        .await?;
    for (app, user) in app_owners {
        snap.app_owners
            .entry(app.into())
            .or_default()
            .push(user_id(user));
    }
    let entitlement_owners: Vec<(String, i64)> =
        sqlx::query_as("SELECT entitlement_id, user_id FROM entitlement_owners")
            .fetch_all(&mut *conn)
            .await?;
    for (entitlement, user) in entitlement_owners {
        snap.entitlement_owners
            .entry(entitlement.into())
            .or_default()
            .push(user_id(user));
    }
    Ok(snap)
}

/// The groups `user` belongs to (for visibility).
pub async fn groups_of(
    conn: impl Into<Conn<'_>>,
    user: &UserId,
) -> AccessResult<BTreeSet<GroupId>> {
    let mut conn = conn.into().get().await?;
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT group_id FROM group_members WHERE user_id = $1")
            .bind(user_row(user)?)
            .fetch_all(&mut *conn)
            .await?;
    Ok(ids.into_iter().map(GroupId::new).collect())
}

/// The user with this email, if any.
pub async fn find_by_email(conn: impl Into<Conn<'_>>, email: &str) -> AccessResult<Option<i64>> {
    let mut conn = conn.into().get().await?;
    Ok(sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email.trim().to_lowercase())
        .fetch_optional(&mut *conn)
        .await?)
}

fn blank_to_none(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Saves a user's directory fields inside `tx` (the use case is `flows::directory::update_user`,
/// which also cancels the open reviews of someone it suspends or deletes), audited as
/// `directory.user_updated`. Returns the status the user now has.
pub async fn save_user(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    update: &UserUpdate,
    at: Timestamp,
) -> AccessResult<UserStatus> {
    let name = update.name.trim();
    if name.is_empty() {
        return Err(domain::DomainError::Required {
            field: "the name".into(),
        }
        .into());
    }
    let status = UserStatus::parse(update.status.trim())?;
    let manager = match blank_to_none(&update.manager_email) {
        None => None,
        Some(email) => Some(find_by_email(&mut *tx, &email).await?.ok_or_else(|| {
            domain::DomainError::UnknownValue {
                what: "manager".into(),
                value: email.clone(),
            }
        })?),
    };
    if actor.id == user_id(id) && !status.is_active() {
        return Err(domain::DomainError::invalid(
            "status",
            status.as_str(),
            "you cannot suspend or delete your own account; ask another Super Admin",
        )
        .into());
    }
    if manager == Some(id) {
        return Err(domain::DomainError::invalid(
            "manager",
            &update.manager_email,
            "a person cannot be their own manager",
        )
        .into());
    }
    let before: ProfileRow = sqlx::query_as(
        "SELECT display_name, manager_id, department, job_title, status FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| AccessError::NotFound("The user".into()))?;
    let before = serde_json::json!({
        "name": before.display_name,
        "manager_id": before.manager_id,
        "department": before.department,
        "job_title": before.job_title,
        "status": before.status,
    });
    let done = sqlx::query(
        "UPDATE users SET display_name = $1, manager_id = $2, department = $3, job_title = $4, status = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(name)
    .bind(manager)
    .bind(blank_to_none(&update.department))
    .bind(blank_to_none(&update.job_title))
    .bind(status.as_str())
    .bind(at.as_unix_millis())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AccessError::NotFound("The user".into()));
    }
    let after = serde_json::json!({
        "name": name, "manager_id": manager, "department": blank_to_none(&update.department),
        "job_title": blank_to_none(&update.job_title), "status": status.as_str(),
    });
    audit::append(
        tx,
        at,
        Entry::new(
            actor.audit(),
            "directory.user_updated",
            format!("user:{id}"),
        )
        .before(Some(before.to_string()))
        .after(Some(after.to_string())),
    )
    .await?;
    Ok(status)
}

/// The roles of each of `people` who is active, from their tier (`users.role`) and the roles
/// granted on top of it (`user_roles`); a suspended, deleted or unknown person holds none.
pub async fn roles_of(
    conn: impl Into<Conn<'_>>,
    people: &[UserId],
) -> AccessResult<BTreeMap<UserId, RoleSet>> {
    let mut conn = conn.into().get().await?;
    let mut roles = BTreeMap::new();
    for person in people {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT role, status FROM users WHERE id = $1")
                .bind(user_row(person)?)
                .fetch_optional(&mut *conn)
                .await?;
        let held = match row {
            Some((tier, status)) if status == UserStatus::Active.as_str() => {
                let granted = users::granted_roles(&mut *conn, user_row(person)?).await?;
                RoleSet::new(std::iter::once(users::role_of_column(&tier)).chain(granted))
            }
            _ => RoleSet::new([]),
        };
        roles.insert(person.clone(), held);
    }
    Ok(roles)
}

/// Grants (`granted`) or removes one of [`users::GRANTABLE_ROLES`] for the user `id` inside
/// `tx`, audited as `directory.role_granted` / `directory.role_removed`. Granting a role held
/// already, or removing one not held, changes nothing and writes nothing. A Super Admin holds
/// every permission already: granting them a role is refused.
pub async fn set_granted_role(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: i64,
    role: Role,
    granted: bool,
    at: Timestamp,
) -> AccessResult<()> {
    if !users::GRANTABLE_ROLES.contains(&role) {
        return Err(domain::DomainError::invalid(
            "role",
            role.as_str(),
            "this role cannot be granted in the directory",
        )
        .into());
    }
    let tier: String = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| AccessError::NotFound("The user".into()))?;
    let before = users::granted_roles(&mut **tx, id).await?;
    if before.contains(&role) == granted {
        return Ok(());
    }
    if granted && users::role_of_column(&tier) == Role::SuperAdmin {
        return Err(domain::DomainError::invalid(
            "role",
            role.label(),
            "a Super Admin holds every permission already",
        )
        .into());
    }
    let action = if granted {
        sqlx::query(
            "INSERT INTO user_roles (user_id, role, granted_by, granted_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(role.as_str())
        .bind(user_row(&actor.id)?)
        .bind(at.as_unix_millis())
        .execute(&mut **tx)
        .await?;
        "directory.role_granted"
    } else {
        sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = $2")
            .bind(id)
            .bind(role.as_str())
            .execute(&mut **tx)
            .await?;
        "directory.role_removed"
    };
    let after = users::granted_roles(&mut **tx, id).await?;
    audit::append(
        tx,
        at,
        Entry::new(actor.audit(), action, format!("user:{id}"))
            .before(Some(serde_json::json!({ "roles": before }).to_string()))
            .after(Some(
                serde_json::json!({ "roles": after, "role": role }).to_string(),
            )),
    )
    .await?;
    Ok(())
}

/// Creates a group (or returns the existing one with that name) inside `tx`.
async fn ensure_group(tx: &mut super::Tx<'_>, name: &str, at: i64) -> AccessResult<String> {
    Ok(sqlx::query_scalar(
        "INSERT INTO groups (id, name, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
    )
    .bind(new_id())
    .bind(name)
    .bind(at)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn create_group(
    db: &Db,
    actor: &Actor,
    name: &str,
    members: &[String],
) -> AccessResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(domain::DomainError::Required {
            field: "the group name".into(),
        }
        .into());
    }
    let mut ids = Vec::new();
    for email in members.iter().filter(|e| !e.trim().is_empty()) {
        ids.push(find_by_email(db, email).await?.ok_or_else(|| {
            domain::DomainError::UnknownValue {
                what: "user".into(),
                value: email.trim().to_string(),
            }
        })?);
    }
    let at = now();
    let mut tx = db.begin().await?;
    let id = ensure_group(&mut tx, name, at.as_unix_millis()).await?;
    for uid in &ids {
        sqlx::query(
            "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(&id)
        .bind(uid)
        .execute(&mut *tx)
        .await?;
    }
    let after = serde_json::json!({ "name": name, "members": ids });
    audit::append(
        &mut tx,
        at,
        Entry::new(
            actor.audit(),
            "directory.group_saved",
            format!("group:{name}"),
        )
        .after(Some(after.to_string())),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Every group with its members (by name) and what refers to it.
pub async fn list_groups(db: &Db) -> AccessResult<Vec<GroupView>> {
    let (entitlements, policies) = referrers(&mut *db.pool.acquire().await?).await?;
    let managed = super::settings::managed_files(db, super::settings::Managed::Group).await?;
    let groups: Vec<(String, String)> = sqlx::query_as("SELECT id, name FROM groups ORDER BY name")
        .fetch_all(&db.pool)
        .await?;
    let members: Vec<(String, i64, String, String)> = sqlx::query_as(
        "SELECT m.group_id, u.id, u.email, u.display_name FROM group_members m \
         JOIN users u ON u.id = m.user_id ORDER BY u.display_name, u.email",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut by_group: BTreeMap<String, Vec<(i64, String, String)>> = BTreeMap::new();
    for (group, id, email, name) in members {
        by_group.entry(group).or_default().push((id, email, name));
    }
    Ok(groups
        .into_iter()
        .map(|(id, name)| GroupView {
            managed_by: managed.get(&id).cloned(),
            used_by: domain::group_references(&GroupId::new(id.clone()), &entitlements, &policies),
            members: by_group.remove(&id).unwrap_or_default(),
            name,
            id,
        })
        .collect())
}

/// The stored entitlements and policies, which may refer to groups.
async fn referrers(
    conn: &mut sqlx::AnyConnection,
) -> AccessResult<(Vec<domain::Entitlement>, Vec<domain::Policy>)> {
    let entitlements: Vec<Body> = sqlx::query_as("SELECT body FROM entitlements")
        .fetch_all(&mut *conn)
        .await?;
    let policies: Vec<Body> = sqlx::query_as("SELECT body FROM policies")
        .fetch_all(&mut *conn)
        .await?;
    Ok((
        entitlements
            .iter()
            .map(Body::parse)
            .collect::<AccessResult<_>>()?,
        policies
            .iter()
            .map(Body::parse)
            .collect::<AccessResult<_>>()?,
    ))
}

async fn group_name(db: &Db, group_id: &str) -> AccessResult<String> {
    sqlx::query_scalar("SELECT name FROM groups WHERE id = $1")
        .bind(group_id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(|| AccessError::NotFound("The group".into()))
}

async fn member_emails(tx: &mut super::Tx<'_>, group_id: &str) -> AccessResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT u.email FROM group_members m JOIN users u ON u.id = m.user_id \
         WHERE m.group_id = $1 ORDER BY u.email",
    )
    .bind(group_id)
    .fetch_all(&mut **tx)
    .await?)
}

/// Takes `user` out of group `group_id`. The audit event records the members before and after.
pub async fn remove_member(db: &Db, actor: &Actor, group_id: &str, user: i64) -> AccessResult<()> {
    let name = group_name(db, group_id).await?;
    let at = now();
    let mut tx = db.begin().await?;
    // Write first, so SQLite takes the write lock before the reads below.
    let done = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
        .bind(group_id)
        .bind(user)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(domain::DomainError::transition(
            &format!("remove this person from group \"{name}\""),
            "they are not a member (someone may have removed them already)",
        )
        .into());
    }
    let after = member_emails(&mut tx, group_id).await?;
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(&mut *tx)
        .await?
        .unwrap_or_else(|| format!("user:{user}"));
    let mut before = after.clone();
    before.push(email.clone());
    before.sort();
    audit::append(
        &mut tx,
        at,
        Entry::new(
            actor.audit(),
            "directory.group_member_removed",
            format!("group:{name}"),
        )
        .before(Some(
            serde_json::json!({ "name": name, "members": before }).to_string(),
        ))
        .after(Some(
            serde_json::json!({ "name": name, "members": after, "removed": email }).to_string(),
        )),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a group nothing refers to; otherwise the error names what uses it. The usage check
/// runs inside the delete's transaction, after its DELETE took the lock that saves naming the
/// group wait for (`catalog::first_missing`), so nothing can start using the group between the
/// check and the commit; a refused delete rolls back.
pub async fn delete_group(db: &Db, actor: &Actor, group_id: &str) -> AccessResult<()> {
    let name = group_name(db, group_id).await?;
    super::settings::refuse_if_managed(db, super::settings::Managed::Group, group_id, &name)
        .await?;
    let at = now();
    let mut tx = db.begin().await?;
    // Write first, so SQLite takes the write lock up front.
    let removed: Vec<i64> =
        sqlx::query_scalar("DELETE FROM group_members WHERE group_id = $1 RETURNING user_id")
            .bind(group_id)
            .fetch_all(&mut *tx)
            .await?;
    let mut members = Vec::new();
    for user in removed {
        let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(user)
            .fetch_one(&mut *tx)
            .await?;
        members.push(email);
    }
    members.sort();
    let done = sqlx::query("DELETE FROM groups WHERE id = $1")
        .bind(group_id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AccessError::NotFound("The group".into()));
    }
    let (entitlements, policies) = referrers(&mut tx).await?;
    domain::ensure_group_deletable(
        &name,
        &domain::group_references(&GroupId::new(group_id), &entitlements, &policies),
    )?;
    audit::append(
        &mut tx,
        at,
        Entry::new(
            actor.audit(),
            "directory.group_deleted",
            format!("group:{name}"),
        )
        .before(Some(
            serde_json::json!({ "name": name, "members": members }).to_string(),
        )),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Imports `email,name,manager_email,department,title,groups`. Validation is the domain's
/// `parse_users_csv`; a single bad row rejects the whole file. Besides the import's summary, each
/// manager change (`directory.manager_changed`) and each new group membership
/// (`directory.group_member_added`) is audited with its before and after, in the import's
/// transaction.
pub async fn import_csv(db: &Db, actor: &Actor, text: &str) -> AccessResult<ImportOutcome> {
    let mut existing = ExistingUsers::default();
    for u in list_users(db).await? {
        if let Ok(e) = Email::parse(&u.email) {
            existing.managers.insert(e, None);
        }
    }
    let rows = match domain::parse_users_csv(text, &existing) {
        Ok(rows) => rows,
        Err(errors) => return Ok(ImportOutcome::Rejected(errors)),
    };
    let at = now();
    let ms = now_ms();
    let mut tx = db.begin().await?;
    let (mut created, mut updated) = (0, 0);
    // Upsert everyone first, then managers, so a manager may appear later in the file.
    for row in &rows {
        let created_at: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, display_name, department, job_title, role, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'user', 'active', $5, $5) \
             ON CONFLICT (email) DO UPDATE SET display_name = excluded.display_name, department = excluded.department, \
             job_title = excluded.job_title, updated_at = excluded.updated_at \
             RETURNING created_at",
        )
        .bind(row.email.as_str())
        .bind(&row.name)
        .bind(&row.department)
        .bind(&row.title)
        .bind(ms)
        .fetch_one(&mut *tx)
        .await?;
        if created_at == ms {
            created += 1;
        } else {
            updated += 1;
        }
    }
    // Managers and group members before this import (the upserts above touch neither), so each
    // change below is audited with its before and after.
    let mut managers_before: BTreeMap<String, Option<String>> = BTreeMap::new();
    let managers: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT u.email, m.email AS manager FROM users u LEFT JOIN users m ON m.id = u.manager_id",
    )
    .fetch_all(&mut *tx)
    .await?;
    managers_before.extend(managers);
    let mut members: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let memberships: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT g.name, u.email FROM groups g LEFT JOIN group_members gm ON gm.group_id = g.id \
         LEFT JOIN users u ON u.id = gm.user_id",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (name, email) in memberships {
        let group = members.entry(name).or_default();
        if let Some(email) = email {
            group.insert(email);
        }
    }
    let mut changes: Vec<Entry> = Vec::new();
    for row in &rows {
        let email = row.email.as_str().to_string();
        let manager_after = row.manager_email.as_ref().map(|m| m.as_str().to_string());
        let manager_before = managers_before.get(&email).cloned().flatten();
        if manager_before != manager_after {
            changes.push(
                Entry::new(
                    actor.audit(),
                    "directory.manager_changed",
                    format!("user:{email}"),
                )
                .before(Some(
                    serde_json::json!({ "email": email, "manager": manager_before }).to_string(),
                ))
                .after(Some(
                    serde_json::json!({ "email": email, "manager": manager_after, "source": "csv_import" })
                        .to_string(),
                )),
            );
        }
        for g in &row.groups {
            let group = members.entry(g.clone()).or_default();
            if group.contains(&email) {
                continue;
            }
            let before: Vec<&String> = group.iter().collect();
            let before = serde_json::json!({ "name": g, "members": before }).to_string();
            group.insert(email.clone());
            let after: Vec<&String> = group.iter().collect();
            changes.push(
                Entry::new(
                    actor.audit(),
                    "directory.group_member_added",
                    format!("group:{g}"),
                )
                .before(Some(before))
                .after(Some(
                    serde_json::json!({ "name": g, "members": after, "added": email, "source": "csv_import" })
                        .to_string(),
                )),
            );
        }
    }
    for row in &rows {
        let uid: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(row.email.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let manager: Option<i64> = match &row.manager_email {
            Some(m) => Some(
                sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
                    .bind(m.as_str())
                    .fetch_one(&mut *tx)
                    .await?,
            ),
            None => None,
        };
        sqlx::query("UPDATE users SET manager_id = $1 WHERE id = $2")
            .bind(manager)
            .bind(uid)
            .execute(&mut *tx)
            .await?;
        for g in &row.groups {
            let gid = ensure_group(&mut tx, g, ms).await?;
            sqlx::query("INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(&gid)
                .bind(uid)
                .execute(&mut *tx)
                .await?;
        }
    }
    let after = serde_json::json!({
        "rows": rows.len(), "created": created, "updated": updated, "changes": changes.len(),
    });
    changes.push(
        Entry::new(actor.audit(), "directory.csv_imported", "directory")
            .after(Some(after.to_string())),
    );
    audit::append_all(&mut tx, at, changes).await?;
    tx.commit().await?;
    Ok(ImportOutcome::Imported { created, updated })
}

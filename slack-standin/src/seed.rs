//! Seeding: workspaces, users, channels, and direct installs for tests.

use crate::error::{Result, StandinError};
use crate::ids;
use crate::state::{Channel, Enterprise, Installation, State, Team, Token, TokenKind, User};
use serde::{Deserialize, Serialize};

/// A user to create.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewUser {
    /// Handle, e.g. `alice`.
    pub name: String,
    /// Full name (default: the handle).
    #[serde(default)]
    pub real_name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Workspace admin.
    #[serde(default)]
    pub is_admin: bool,
}

impl NewUser {
    /// A user with a handle and email.
    pub fn new(name: impl Into<String>, email: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            email: Some(email.into()),
            ..Self::default()
        }
    }
}

/// Tokens of a direct (OAuth-less) install.
#[derive(Debug, Clone, Serialize)]
pub struct InstallTokens {
    /// Installation id.
    pub install_id: String,
    /// `xoxb-` bot token.
    pub bot_token: String,
    /// Bot user id.
    pub bot_user_id: String,
    /// Bot id.
    pub bot_id: String,
}

/// Adds an Enterprise Grid organisation.
pub fn add_enterprise(st: &mut State, name: &str) -> Enterprise {
    let e = Enterprise {
        id: ids::object_id('E'),
        name: name.to_owned(),
        team_ids: Vec::new(),
    };
    st.enterprises.insert(e.id.clone(), e.clone());
    e
}

/// Adds a workspace, optionally inside an enterprise.
pub fn add_workspace(
    st: &mut State,
    name: &str,
    domain: Option<&str>,
    enterprise_id: Option<&str>,
) -> Result<Team> {
    if let Some(e) = enterprise_id
        && !st.enterprises.contains_key(e)
    {
        return Err(StandinError::NotFound(format!("enterprise {e}")));
    }
    let domain = domain.map_or_else(|| name.to_lowercase().replace(' ', "-"), str::to_owned);
    Ok(st.add_team(name, &domain, enterprise_id))
}

/// Adds a user to a workspace.
pub fn add_user(st: &mut State, team_id: &str, new: &NewUser) -> Result<User> {
    let team = st
        .teams
        .get(team_id)
        .cloned()
        .ok_or_else(|| StandinError::NotFound(format!("team {team_id}")))?;
    if let Some(email) = &new.email
        && st
            .users
            .values()
            .any(|u| u.email.as_deref() == Some(email.as_str()) && u.team_id == team_id)
    {
        return Err(StandinError::Invalid(format!(
            "email {email} already used in {team_id}"
        )));
    }
    let prefix = if team.enterprise_id.is_some() {
        'W'
    } else {
        'U'
    };
    Ok(st.add_user(User {
        id: ids::object_id(prefix),
        team_id: team.id,
        enterprise_id: team.enterprise_id,
        name: new.name.clone(),
        real_name: new.real_name.clone().unwrap_or_else(|| new.name.clone()),
        email: new.email.clone(),
        is_bot: false,
        is_admin: new.is_admin,
        deleted: false,
        bot_id: None,
    }))
}

/// Adds a channel with initial members (the first member is the creator).
pub fn add_channel(
    st: &mut State,
    team_id: &str,
    name: &str,
    is_private: bool,
    members: &[String],
) -> Result<Channel> {
    if !st.teams.contains_key(team_id) {
        return Err(StandinError::NotFound(format!("team {team_id}")));
    }
    if let Some(code) = crate::limits::channel_name_error(name) {
        return Err(StandinError::Invalid(format!(
            "channel name {name:?}: {code}"
        )));
    }
    if st.channel_by_name(team_id, name).is_some() {
        return Err(StandinError::Invalid(format!(
            "channel name {name:?}: name_taken"
        )));
    }
    for m in members {
        if !st.users.contains_key(m) {
            return Err(StandinError::NotFound(format!("user {m}")));
        }
    }
    let creator = members.first().cloned().unwrap_or_default();
    let mut channel = st.add_channel(team_id, name, is_private, &creator);
    if let Some(c) = st.channel_mut(&channel.id) {
        for m in members.iter().skip(1) {
            if !c.has_member(m) {
                c.members.push(m.clone());
            }
        }
        channel = c.clone();
    }
    Ok(channel)
}

/// Deactivates a user (`deleted: true`; their user tokens give `account_inactive`).
pub fn deactivate_user(st: &mut State, user_id: &str) -> Result<()> {
    let user = st
        .users
        .get_mut(user_id)
        .ok_or_else(|| StandinError::NotFound(format!("user {user_id}")))?;
    user.deleted = true;
    Ok(())
}

/// Installs the app into a workspace directly (no OAuth round trip) with the
/// given bot scopes; the first admin (or first user) is the installer.
pub fn install_directly(
    st: &mut State,
    app_id: &str,
    app_name: &str,
    team_id: &str,
    scopes: &[&str],
) -> Result<InstallTokens> {
    let team = st
        .teams
        .get(team_id)
        .cloned()
        .ok_or_else(|| StandinError::NotFound(format!("team {team_id}")))?;
    let installer = st
        .users
        .values()
        .filter(|u| u.team_id == team_id && !u.is_bot && !u.deleted)
        .max_by_key(|u| u.is_admin)
        .map(|u| u.id.clone())
        .unwrap_or_default();
    let bot_user_id = ids::object_id('U');
    let bot_id = ids::object_id('B');
    st.add_user(User {
        id: bot_user_id.clone(),
        team_id: team.id.clone(),
        enterprise_id: team.enterprise_id.clone(),
        name: app_name.to_lowercase(),
        real_name: app_name.to_owned(),
        email: None,
        is_bot: true,
        is_admin: false,
        deleted: false,
        bot_id: Some(bot_id.clone()),
    });
    let install = Installation {
        id: format!("I{}", ids::secret(10)),
        team_id: Some(team.id.clone()),
        enterprise_id: team.enterprise_id.clone(),
        is_enterprise_install: false,
        app_id: app_id.to_owned(),
        bot_user_id: bot_user_id.clone(),
        bot_id: bot_id.clone(),
        authed_user_id: installer,
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        user_scopes: Vec::new(),
        webhook_id: None,
        uninstalled: false,
    };
    let token = ids::bot_token();
    st.tokens.insert(
        token.clone(),
        Token {
            token: token.clone(),
            kind: TokenKind::Bot,
            install_id: install.id.clone(),
            user_id: bot_user_id.clone(),
            scopes: install.scopes.clone(),
            revoked: false,
        },
    );
    let install_id = install.id.clone();
    st.installs.insert(install.id.clone(), install);
    Ok(InstallTokens {
        install_id,
        bot_token: token,
        bot_user_id,
        bot_id,
    })
}

/// Revokes a token silently (a fault: no events are sent).
pub fn revoke_token(st: &mut State, token: &str) -> Result<()> {
    let t = st
        .tokens
        .get_mut(token)
        .ok_or_else(|| StandinError::NotFound("token".into()))?;
    t.revoked = true;
    Ok(())
}

/// The demo workspace: "Acme" with a few users and #general,
/// #security-alerts, #it-access.
pub fn demo(st: &mut State) -> Result<Team> {
    let team = add_workspace(st, "Acme", Some("acme"), None)?;
    let people = [
        ("alice", "Alice Admin", "alice@acme.test", true),
        ("bob", "Bob Builder", "bob@acme.test", false),
        ("carol", "Carol Reviewer", "carol@acme.test", false),
        ("dave", "Dave Requester", "dave@acme.test", false),
    ];
    let mut ids = Vec::new();
    for (name, real, email, admin) in people {
        let u = add_user(
            st,
            &team.id,
            &NewUser {
                name: name.into(),
                real_name: Some(real.into()),
                email: Some(email.into()),
                is_admin: admin,
            },
        )?;
        ids.push(u.id);
    }
    for name in ["general", "security-alerts", "it-access"] {
        add_channel(st, &team.id, name, false, &ids)?;
    }
    Ok(team)
}

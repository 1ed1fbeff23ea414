//! Directory CSV import: parse and validate everything, change nothing unless every row is good.
//!
//! Columns (header row required, any order, case-insensitive): `email`, `name` (required), and
//! optionally `manager_email`, `department`, `title`, `groups` (separated by `;` or `|`).
//! Quoted fields follow RFC 4180: `"a, b"`, doubled quotes `""`, and line breaks inside quotes.
//!
//! The result is all-or-nothing: either every row parsed, or the full list of problems with the line
//! number where each record starts, so the admin can fix the file in one pass.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::directory::Email;

pub const MAX_ROWS: usize = 50_000;
pub const MAX_FIELD_LEN: usize = 200;

/// One valid row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    /// Line where the record starts (the header is line 1).
    pub line: usize,
    pub email: Email,
    pub name: String,
    pub manager_email: Option<Email>,
    pub department: Option<String>,
    pub title: Option<String>,
    /// Group names, trimmed and de-duplicated, in file order.
    pub groups: Vec<String>,
}

/// A problem with one line of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Users already in the directory: their emails and current managers (for manager references and
/// cycle detection through people not in the file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExistingUsers {
    pub managers: BTreeMap<Email, Option<Email>>,
}

impl ExistingUsers {
    /// Existing users whose managers are unknown or irrelevant.
    pub fn from_emails(emails: impl IntoIterator<Item = Email>) -> Self {
        ExistingUsers {
            managers: emails.into_iter().map(|e| (e, None)).collect(),
        }
    }

    fn contains(&self, e: &Email) -> bool {
        self.managers.contains_key(e)
    }
}

/// A raw record: the line it starts on and its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    line: usize,
    fields: Vec<String>,
}

/// Splits CSV text into records (RFC 4180). Blank lines are skipped. A quote problem is reported
/// against the line where the record starts, and stops parsing (everything after is unreliable).
fn split_records(text: &str) -> Result<Vec<Record>, RowError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1usize;
    let mut start_line = 1usize;
    let mut in_quotes = false;
    let mut quoted_field = false; // the current field was quoted and the quote closed
    let mut record_has_content = false;
    let mut chars = text.chars().peekable();

    let finish_record = |fields: &mut Vec<String>,
                         field: &mut String,
                         records: &mut Vec<Record>,
                         start_line: usize,
                         has_content: bool| {
        fields.push(std::mem::take(field));
        let f = std::mem::take(fields);
        if has_content {
            records.push(Record {
                line: start_line,
                fields: f,
            });
        }
    };

    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => {
                    in_quotes = false;
                    quoted_field = true;
                }
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                '\r' => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                    field.push('\n');
                }
                other => field.push(other),
            }
            continue;
        }
        match c {
            ',' => {
                fields.push(std::mem::take(&mut field));
                quoted_field = false;
                record_has_content = true;
            }
            '\n' | '\r' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                let has = record_has_content || !field.trim().is_empty() || quoted_field;
                finish_record(&mut fields, &mut field, &mut records, start_line, has);
                quoted_field = false;
                record_has_content = false;
                line += 1;
                start_line = line;
            }
            '"' if field.trim().is_empty() && !quoted_field => {
                field.clear();
                in_quotes = true;
                record_has_content = true;
            }
            '"' => {
                return Err(RowError {
                    line: start_line,
                    message: "unexpected quote inside a field; put quotes around the whole field and double any quotes inside it".into(),
                });
            }
            other if quoted_field => {
                if !other.is_whitespace() {
                    return Err(RowError {
                        line: start_line,
                        message: "unexpected text after a closing quote".into(),
                    });
                }
            }
            other => field.push(other),
        }
    }
    if in_quotes {
        return Err(RowError {
            line: start_line,
            message: "a quoted field is never closed".into(),
        });
    }
    let has = record_has_content || !field.trim().is_empty() || quoted_field;
    finish_record(&mut fields, &mut field, &mut records, start_line, has);
    Ok(records)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Email,
    Name,
    ManagerEmail,
    Department,
    Title,
    Groups,
}

fn column(name: &str) -> Option<Column> {
    match name
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
        .as_str()
    {
        "email" => Some(Column::Email),
        "name" | "display_name" => Some(Column::Name),
        "manager_email" | "manager" => Some(Column::ManagerEmail),
        "department" => Some(Column::Department),
        "title" | "job_title" => Some(Column::Title),
        "groups" => Some(Column::Groups),
        _ => None,
    }
}

fn optional(value: &str, what: &str, errors: &mut Vec<String>) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.chars().count() > MAX_FIELD_LEN {
        errors.push(format!("{what} is longer than {MAX_FIELD_LEN} characters"));
    }
    Some(v.to_string())
}

/// Parses and validates a directory CSV. See the module docs for the format.
pub fn parse_users_csv(
    text: &str,
    existing: &ExistingUsers,
) -> Result<Vec<ImportRow>, Vec<RowError>> {
    let records = split_records(text).map_err(|e| vec![e])?;
    let mut iter = records.into_iter();
    let Some(header) = iter.next() else {
        return Err(vec![RowError {
            line: 1,
            message: "the file is empty; the first line must be a header such as email,name,manager_email,department,title,groups".into(),
        }]);
    };
    let mut columns: Vec<Column> = Vec::new();
    let mut header_errors = Vec::new();
    for raw in &header.fields {
        match column(raw) {
            Some(c) if columns.contains(&c) => header_errors.push(format!("column \"{}\" appears twice", raw.trim())),
            Some(c) => columns.push(c),
            None => header_errors.push(format!(
                "unknown column \"{}\" (expected email, name, manager_email, department, title, groups)",
                raw.trim()
            )),
        }
    }
    for required in [Column::Email, Column::Name] {
        if !columns.contains(&required) {
            header_errors.push(format!(
                "the header has no \"{}\" column",
                if required == Column::Email {
                    "email"
                } else {
                    "name"
                }
            ));
        }
    }
    if !header_errors.is_empty() {
        return Err(header_errors
            .into_iter()
            .map(|message| RowError {
                line: header.line,
                message,
            })
            .collect());
    }

    let data: Vec<Record> = iter.collect();
    if data.is_empty() {
        return Err(vec![RowError {
            line: header.line,
            message: "the file has a header but no users".into(),
        }]);
    }
    if data.len() > MAX_ROWS {
        return Err(vec![RowError {
            line: header.line,
            message: format!(
                "the file has {} users; import at most {MAX_ROWS} at a time",
                data.len()
            ),
        }]);
    }

    let mut errors: Vec<RowError> = Vec::new();
    let mut rows: Vec<ImportRow> = Vec::new();
    // Emails that appear in the file (valid ones), with their first line, for duplicates and references.
    let mut first_line: BTreeMap<Email, usize> = BTreeMap::new();
    for rec in &data {
        if let Some(e) = columns
            .iter()
            .position(|c| *c == Column::Email)
            .and_then(|i| rec.fields.get(i))
            .and_then(|v| Email::parse(v).ok())
        {
            first_line.entry(e).or_insert(rec.line);
        }
    }

    for rec in &data {
        let mut problems: Vec<String> = Vec::new();
        if rec.fields.len() != columns.len() {
            errors.push(RowError {
                line: rec.line,
                message: format!(
                    "expected {} fields but found {}",
                    columns.len(),
                    rec.fields.len()
                ),
            });
            continue;
        }
        let get = |c: Column| {
            columns
                .iter()
                .position(|x| *x == c)
                .and_then(|i| rec.fields.get(i))
                .map_or("", String::as_str)
        };
        let email = match Email::parse(get(Column::Email)) {
            Ok(e) => Some(e),
            Err(e) => {
                problems.push(e.to_string());
                None
            }
        };
        if let Some(e) = &email
            && let Some(first) = first_line.get(e)
            && *first != rec.line
        {
            problems.push(format!(
                "{e} is listed more than once (first on line {first})"
            ));
        }
        let name = get(Column::Name).trim().to_string();
        if name.is_empty() {
            problems.push("name is required".into());
        } else if name.chars().count() > MAX_FIELD_LEN {
            problems.push(format!("name is longer than {MAX_FIELD_LEN} characters"));
        }
        let manager_email = match get(Column::ManagerEmail).trim() {
            "" => None,
            raw => match Email::parse(raw) {
                Ok(m) => {
                    if Some(&m) == email.as_ref() {
                        problems.push("a user cannot be their own manager".into());
                    } else if !first_line.contains_key(&m) && !existing.contains(&m) {
                        problems.push(format!(
                            "manager {m} is not in this file or in the directory"
                        ));
                    }
                    Some(m)
                }
                Err(e) => {
                    problems.push(format!("manager_email: {e}"));
                    None
                }
            },
        };
        let department = optional(get(Column::Department), "department", &mut problems);
        let title = optional(get(Column::Title), "title", &mut problems);
        let mut groups: Vec<String> = Vec::new();
        for g in get(Column::Groups).split([';', '|']) {
            let g = g.trim();
            if g.is_empty() {
                continue;
            }
            if g.chars().count() > MAX_FIELD_LEN {
                problems.push(format!(
                    "group name \"{g}\" is longer than {MAX_FIELD_LEN} characters"
                ));
            } else if !groups.iter().any(|x| x.eq_ignore_ascii_case(g)) {
                groups.push(g.to_string());
            }
        }
        match (problems.is_empty(), email) {
            (true, Some(email)) => rows.push(ImportRow {
                line: rec.line,
                email,
                name,
                manager_email,
                department,
                title,
                groups,
            }),
            _ => errors.extend(problems.into_iter().map(|message| RowError {
                line: rec.line,
                message,
            })),
        }
    }

    errors.extend(manager_cycles(&rows, existing));
    if errors.is_empty() {
        Ok(rows)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

/// Finds manager chains that loop (a → b → a), following file rows first and the existing directory
/// for people not in the file. Every row on a loop gets one error showing the loop from itself.
fn manager_cycles(rows: &[ImportRow], existing: &ExistingUsers) -> Vec<RowError> {
    let mut manager: BTreeMap<&Email, Option<&Email>> = existing
        .managers
        .iter()
        .map(|(e, m)| (e, m.as_ref()))
        .collect();
    for r in rows {
        manager.insert(&r.email, r.manager_email.as_ref());
    }
    let line_of: BTreeMap<&Email, usize> = rows.iter().map(|r| (&r.email, r.line)).collect();
    let mut done: BTreeSet<&Email> = BTreeSet::new();
    let mut cycles: Vec<Vec<&Email>> = Vec::new();
    for r in rows {
        let mut path: Vec<&Email> = Vec::new();
        let mut cur = Some(&r.email);
        while let Some(e) = cur {
            if done.contains(e) {
                break;
            }
            if let Some(pos) = path.iter().position(|p| *p == e) {
                cycles.push(path.get(pos..).map(<[&Email]>::to_vec).unwrap_or_default());
                break;
            }
            path.push(e);
            cur = manager.get(e).copied().flatten();
        }
        done.extend(path);
    }
    let mut out = Vec::new();
    for cycle in cycles {
        for (i, member) in cycle.iter().enumerate() {
            let Some(line) = line_of.get(member) else {
                continue;
            };
            let mut chain: Vec<String> = Vec::new();
            for k in 0..=cycle.len() {
                if let Some(e) = cycle.get((i + k) % cycle.len()) {
                    chain.push(e.to_string());
                }
            }
            out.push(RowError {
                line: *line,
                message: format!("the manager chain loops: {}", chain.join(" → ")),
            });
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn e(s: &str) -> Email {
        Email::parse(s).unwrap()
    }

    fn ok(text: &str) -> Vec<ImportRow> {
        parse_users_csv(text, &ExistingUsers::default()).unwrap()
    }

    fn errs(text: &str) -> Vec<RowError> {
        parse_users_csv(text, &ExistingUsers::default()).unwrap_err()
    }

    #[test]
    fn a_valid_file_parses_into_rows() {
        let rows = ok("email,name,manager_email,department,title,groups\n\
                       boss@x.com,Big Boss,,Exec,CEO,\n\
                       Ann@X.com,Ann Lee,boss@x.com,Eng,SRE,eng; oncall ;eng\n");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[1].email, e("ann@x.com"));
        assert_eq!(rows[1].manager_email, Some(e("boss@x.com")));
        assert_eq!(
            rows[1].groups,
            vec!["eng".to_string(), "oncall".to_string()]
        );
        assert_eq!(rows[0].manager_email, None);
        assert_eq!(rows[0].title.as_deref(), Some("CEO"));
    }

    #[test]
    fn columns_may_come_in_any_order_and_optional_ones_may_be_missing() {
        let rows = ok("Name,EMAIL\r\n\"Lee, Ann\",ann@x.com\r\n");
        assert_eq!(rows[0].name, "Lee, Ann");
        assert!(rows[0].groups.is_empty());
    }

    #[test]
    fn quoted_fields_may_contain_commas_quotes_and_line_breaks() {
        let rows = ok(
            "email,name,title\nann@x.com,\"Ann \"\"The Hammer\"\" Lee\",\"Staff\nEngineer\"\nbob@x.com,Bob,\n",
        );
        assert_eq!(rows[0].name, "Ann \"The Hammer\" Lee");
        assert_eq!(rows[0].title.as_deref(), Some("Staff\nEngineer"));
        assert_eq!(rows[1].line, 4, "line numbers count physical lines");
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line_number() {
        let errors = errs(
            "email,name,manager_email\n\
                           not-an-email,Ann,\n\
                           bob@x.com,,\n\
                           carl@x.com,Carl,nobody@x.com\n\
                           dan@x.com,Dan,dan@x.com\n\
                           eve@x.com,Eve\n\
                           bob@x.com,Bob again,\n",
        );
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 6, 7]);
        assert!(errors[0].message.contains("not a valid email"));
        assert_eq!(errors[1].message, "name is required");
        assert!(
            errors[2]
                .message
                .contains("not in this file or in the directory")
        );
        assert_eq!(errors[3].message, "a user cannot be their own manager");
        assert_eq!(errors[4].message, "expected 3 fields but found 2");
        assert!(errors[5].message.contains("first on line 3"));
        assert_eq!(
            errors[0].to_string(),
            format!("line 2: {}", errors[0].message)
        );
    }

    #[test]
    fn managers_may_be_existing_directory_users() {
        let existing = ExistingUsers::from_emails([e("boss@x.com")]);
        let rows = parse_users_csv(
            "email,name,manager_email\nann@x.com,Ann,BOSS@x.com\n",
            &existing,
        )
        .unwrap();
        assert_eq!(rows[0].manager_email, Some(e("boss@x.com")));
    }

    #[test]
    fn manager_cycles_are_reported_on_every_row_in_the_loop() {
        let errors = errs(
            "email,name,manager_email\n\
                           a@x.com,A,b@x.com\n\
                           b@x.com,B,c@x.com\n\
                           c@x.com,C,a@x.com\n\
                           d@x.com,D,a@x.com\n",
        );
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert_eq!(errors[0].line, 2);
        assert_eq!(
            errors[0].message,
            "the manager chain loops: a@x.com → b@x.com → c@x.com → a@x.com"
        );
        assert_eq!(
            errors[2].message,
            "the manager chain loops: c@x.com → a@x.com → b@x.com → c@x.com"
        );
    }

    #[test]
    fn cycles_through_existing_directory_users_are_found() {
        // In the directory, boss reports to ann; the file makes ann report to boss.
        let existing = ExistingUsers {
            managers: [
                (e("boss@x.com"), Some(e("ann@x.com"))),
                (e("ann@x.com"), None),
            ]
            .into(),
        };
        let errors = parse_users_csv(
            "email,name,manager_email\nann@x.com,Ann,boss@x.com\n",
            &existing,
        )
        .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("loops"));
    }

    #[test]
    fn header_problems_are_reported_on_line_one() {
        let errors = errs("email,fullname,email\nann@x.com,Ann,x\n");
        assert!(errors.iter().all(|e| e.line == 1));
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert_eq!(errs("")[0].line, 1);
        assert!(errs("email,name\n\n")[0].message.contains("no users"));
    }

    #[test]
    fn broken_quotes_are_reported_where_the_record_starts() {
        let errors = errs("email,name\nann@x.com,\"Ann\nbob@x.com,Bob\n");
        assert_eq!(
            errors,
            vec![RowError {
                line: 2,
                message: "a quoted field is never closed".into()
            }]
        );
        assert_eq!(errs("email,name\nann@x.com,An\"n\n")[0].line, 2);
        assert_eq!(errs("email,name\nann@x.com,\"Ann\"x\n")[0].line, 2);
    }

    #[test]
    fn blank_lines_and_a_byte_order_mark_are_ignored() {
        let rows = ok("\u{feff}email,name\n\nann@x.com,Ann\n\n\nbob@x.com,Bob");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 3);
        assert_eq!(rows[1].line, 6);
    }
}

//! The files of a catalog tree (`latch apply DIR`, `latch export DIR`): YAML read with the line
//! of every node (saphyr's marked loader), so errors name file and line, and written back in
//! the same layout. The model and its rules are `app::domain::catalog_code`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use app::domain::catalog_code::{CatalogFile, CatalogTree, CodeError};
use saphyr::{LoadableYamlNode, MarkedYamlOwned, ScalarOwned, YamlDataOwned};
use serde_json::{Map, Number, Value};

/// Reads every `*.yaml` / `*.yml` file under `root` (recursively, in path order). Every problem
/// of every file is returned at once.
pub fn read_tree(root: &Path) -> Result<CatalogTree, Vec<CodeError>> {
    let mut paths = Vec::new();
    let mut errors = Vec::new();
    collect(root, &mut paths, &mut errors);
    paths.sort();
    if paths.is_empty() && errors.is_empty() {
        errors.push(whole_file_error(
            &root.display().to_string(),
            None,
            "no .yaml or .yml files in this directory",
        ));
    }
    let mut tree = CatalogTree::default();
    for path in paths {
        let shown = shown_path(root, &path);
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse_file(&shown, &text) {
                Ok(file) => tree.files.push(file),
                Err(mut file_errors) => errors.append(&mut file_errors),
            },
            Err(e) => errors.push(whole_file_error(&shown, None, &format!("cannot read: {e}"))),
        }
    }
    if errors.is_empty() {
        Ok(tree)
    } else {
        Err(errors)
    }
}

/// The path errors name: the root's name followed by the path under it ("catalog/prod-db.yaml").
fn shown_path(root: &Path, path: &Path) -> String {
    let under = path.strip_prefix(root).unwrap_or(path);
    let base = root
        .file_name()
        .map(|n| PathBuf::from(n).join(under))
        .unwrap_or_else(|| under.to_path_buf());
    base.to_string_lossy().replace('\\', "/")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<CodeError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(whole_file_error(
                &dir.display().to_string(),
                None,
                &format!("cannot read the directory: {e}"),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out, errors);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn whole_file_error(file: &str, line: Option<usize>, message: &str) -> CodeError {
    CodeError {
        file: file.to_string(),
        line,
        object: "file".into(),
        field: String::new(),
        message: message.to_string(),
    }
}

/// Parses one file's text: YAML to a JSON value and the line of each node, then the model.
pub fn parse_file(path: &str, text: &str) -> Result<CatalogFile, Vec<CodeError>> {
    let docs = MarkedYamlOwned::load_from_str(text).map_err(|e| {
        vec![whole_file_error(
            path,
            Some(e.marker().line()),
            &format!("not valid YAML: {}", e.info()),
        )]
    })?;
    if docs.len() > 1 {
        return Err(vec![whole_file_error(
            path,
            None,
            "holds several YAML documents; use one per file",
        )]);
    }
    let mut lines = BTreeMap::new();
    let mut errors = Vec::new();
    let value = match docs.first() {
        Some(doc) => to_json(path, doc, "", &mut lines, &mut errors),
        None => Value::Null,
    };
    let (file, mut model_errors) = CatalogFile::from_value(path, value, lines);
    errors.append(&mut model_errors);
    if errors.is_empty() {
        Ok(file)
    } else {
        Err(errors)
    }
}

fn to_json(
    path: &str,
    node: &MarkedYamlOwned,
    pointer: &str,
    lines: &mut BTreeMap<String, usize>,
    errors: &mut Vec<CodeError>,
) -> Value {
    lines
        .entry(pointer.to_string())
        .or_insert(node.span.start.line());
    match &node.data {
        YamlDataOwned::Value(scalar) => scalar_json(scalar),
        YamlDataOwned::Representation(text, _, _) => Value::String(text.clone()),
        YamlDataOwned::Sequence(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| to_json(path, item, &format!("{pointer}/{i}"), lines, errors))
                .collect(),
        ),
        YamlDataOwned::Mapping(map) => {
            let mut out = Map::new();
            for (key, value) in map {
                let key_text = match &key.data {
                    YamlDataOwned::Value(ScalarOwned::String(s)) => s.clone(),
                    YamlDataOwned::Value(other) => scalar_json(other).to_string(),
                    _ => {
                        errors.push(whole_file_error(
                            path,
                            Some(key.span.start.line()),
                            "a mapping key must be a plain value",
                        ));
                        continue;
                    }
                };
                let child = format!("{pointer}/{key_text}");
                // A field's line is where its key is written.
                lines.insert(child.clone(), key.span.start.line());
                let value = to_json(path, value, &child, lines, errors);
                out.insert(key_text, value);
            }
            Value::Object(out)
        }
        YamlDataOwned::Tagged(_, inner) => to_json(path, inner, pointer, lines, errors),
        YamlDataOwned::Alias(_) | YamlDataOwned::BadValue => {
            errors.push(whole_file_error(
                path,
                Some(node.span.start.line()),
                "YAML aliases and unreadable values are not supported",
            ));
            Value::Null
        }
    }
}

fn scalar_json(scalar: &ScalarOwned) -> Value {
    match scalar {
        ScalarOwned::Null => Value::Null,
        ScalarOwned::Boolean(b) => Value::Bool(*b),
        ScalarOwned::Integer(i) => Value::Number((*i).into()),
        ScalarOwned::FloatingPoint(f) => {
            Number::from_f64(f.into_inner()).map_or(Value::Null, Value::Number)
        }
        ScalarOwned::String(s) => Value::String(s.clone()),
    }
}

/// Writes `files` under `root` (creating directories), refusing to overwrite existing files.
pub fn write_tree(root: &Path, files: &[CatalogFile]) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for file in files {
        let path = root.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut value = serde_json::to_value(file).map_err(std::io::Error::other)?;
        if let Value::Object(map) = &mut value {
            map.remove("path");
            map.remove("lines");
        }
        let text = format!(
            "# Managed in code: `latch apply` makes Latch match this file.\n{}",
            to_yaml(&value)
        );
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))?;
        written.push(path);
    }
    Ok(written)
}

/// Block-style YAML for a JSON value: mappings and lists indented by two spaces, strings plain
/// when YAML reads them back as the same string, else double-quoted (JSON escapes are YAML's),
/// multi-line strings as literal blocks.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    emit(value, 0, &mut out);
    out
}

fn emit(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let _ = write!(out, "{pad}{key}:");
                emit_after_key(v, indent, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(map) if !map.is_empty() => {
                        // "- first: x" then the other keys aligned under it.
                        let mut nested = String::new();
                        emit(item, indent + 2, &mut nested);
                        let trimmed = nested.trim_start_matches(' ');
                        let _ = write!(out, "{pad}- {trimmed}");
                    }
                    _ => {
                        let _ = write!(out, "{pad}-");
                        emit_after_key(item, indent, out);
                    }
                }
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}", scalar_yaml(other, indent));
        }
    }
}

fn emit_after_key(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            emit(v, indent + 2, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            emit(v, indent + 2, out);
        }
        Value::Object(_) => out.push_str(" {}\n"),
        Value::Array(_) => out.push_str(" []\n"),
        scalar => {
            let _ = writeln!(out, " {}", scalar_yaml(scalar, indent));
        }
    }
}

fn scalar_yaml(value: &Value, indent: usize) -> String {
    match value {
        Value::String(s) => string_yaml(s, indent),
        other => other.to_string(),
    }
}

fn string_yaml(s: &str, indent: usize) -> String {
    if s.contains('\n') && !s.contains('\r') && s.trim_end_matches('\n') == s.trim_end() {
        let pad = " ".repeat(indent + 2);
        let chomp = if s.ends_with('\n') { "" } else { "-" };
        let body: Vec<String> = s
            .trim_end_matches('\n')
            .split('\n')
            .map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("{pad}{l}")
                }
            })
            .collect();
        if !s.starts_with(' ') && !s.trim_end_matches('\n').contains("\n\n\n") {
            return format!("|{chomp}\n{}", body.join("\n"));
        }
    }
    if plain_is_safe(s) {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

/// Whether `s` written plain reads back as the same string.
fn plain_is_safe(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return false;
    }
    if !s
        .chars()
        .all(|c| c.is_alphanumeric() || " @._/-+()'".contains(c))
    {
        return false;
    }
    if s.starts_with(['-', '?', '\'', '@']) {
        return false;
    }
    // Reads as something else: null, a bool, a number.
    match MarkedYamlOwned::load_from_str(s) {
        Ok(docs) => matches!(
            docs.first().map(|d| &d.data),
            Some(YamlDataOwned::Value(ScalarOwned::String(read))) if read == s
        ),
        Err(_) => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_located_on_the_line_of_their_key() {
        let text = "apps:\n  - name: Prod DB\n    entitlements:\n      - name: Admin\n        slug: admin\n        request_policy: Manager then owner\n";
        let file = parse_file("catalog/prod-db.yaml", text).unwrap();
        assert_eq!(
            file.lines.get("/apps/0/entitlements/0/request_policy"),
            Some(&6)
        );
        assert_eq!(file.lines.get("/apps/0/entitlements/0/slug"), Some(&5));
        assert_eq!(file.apps[0].name, "Prod DB");
    }

    #[test]
    fn a_yaml_syntax_error_names_its_line() {
        let errors = parse_file("a.yaml", "apps:\n  - name: [unclosed\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].line.is_some());
        assert!(
            errors[0].to_string().starts_with("a.yaml:"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn written_yaml_reads_back_as_the_same_value() {
        let value = serde_json::json!({
            "apps": [{
                "name": "Prod DB",
                "description": "yes",
                "instructions": "Line one\n\nLine: two # not a comment\n",
                "owners": ["a@example.com"],
                "entitlements": [{"name": "Admin", "slug": "admin", "maximum_duration": "1 week",
                                  "catalog_visibility": ["SRE", "On call"], "webhook_url": "https://x.example/p?a=1&b=2"}]
            }],
            "policies": [{"name": "null", "steps": [{"kind": "approval", "manager": true, "users": "1.5"}]}]
        });
        let text = to_yaml(&value);
        let file = parse_file("x.yaml", &text).unwrap();
        let mut back = serde_json::to_value(&file).unwrap();
        back.as_object_mut().unwrap().remove("path");
        back.as_object_mut().unwrap().remove("lines");
        assert_eq!(back, value, "{text}");
    }
}

//! Renders one schema block (`terraform providers schema -json` shape) as Registry Markdown:
//! Required / Optional / Read-Only lists, then a nested schema section for every attribute whose
//! type holds objects (and for nested attribute types and nested blocks).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::Error;

/// Descriptions of fields inside object types, which the schema JSON cannot carry, keyed by the
/// dotted path from the top-level attribute (`content.copies.status`).
pub type FieldDocs = BTreeMap<String, String>;

/// What rendering noticed but did not stop for.
#[derive(Default)]
pub struct Notes {
    /// Field paths that were rendered without a description.
    pub undocumented: Vec<String>,
    /// Field paths that the field docs used.
    pub used: Vec<String>,
}

/// Which list an attribute belongs in.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Required,
    Optional,
    ReadOnly,
}

impl Group {
    fn title(self) -> &'static str {
        match self {
            Group::Required => "Required",
            Group::Optional => "Optional",
            Group::ReadOnly => "Read-Only",
        }
    }
}

/// One entry of a list: an attribute, a nested block or an object field.
struct Item {
    name: String,
    group: Group,
    type_label: String,
    description: String,
    sensitive: bool,
    deprecated: bool,
    /// Anchor of the nested section this item links to, if any.
    nested_anchor: Option<String>,
}

/// A nested section waiting to be rendered after the current lists.
struct Nested {
    anchor: String,
    /// Dotted path for headings and field docs (`content.copies`).
    path: String,
    body: NestedBody,
    /// For object fields: the group of the attribute holding them (fields have no flags).
    parent_group: Group,
}

enum NestedBody {
    /// Fields of an object type.
    Object(serde_json::Map<String, Value>),
    /// A nested attribute type or a nested block: a full block with flags per attribute.
    Block(Value),
}

/// Renders the `## Schema` section for `block`.
pub fn render(block: &Value, field_docs: &FieldDocs, notes: &mut Notes) -> Result<String, Error> {
    let mut out = String::from("## Schema\n");
    let mut queue: Vec<Nested> = Vec::new();
    let items = block_items(block, "", "", &mut queue)?;
    write_groups(&mut out, &items, "###", true);
    render_queue(&mut out, queue, field_docs, notes)?;
    Ok(out)
}

fn render_queue(
    out: &mut String,
    mut queue: Vec<Nested>,
    field_docs: &FieldDocs,
    notes: &mut Notes,
) -> Result<(), Error> {
    // Breadth-first, in the order items were met (which is sorted), so output is stable.
    let mut i = 0;
    while i < queue.len() {
        let mut more = Vec::new();
        let n = &queue[i];
        let items = match &n.body {
            NestedBody::Object(fields) => {
                object_items(fields, &n.path, &n.anchor, n.parent_group, &mut more)?
            }
            NestedBody::Block(b) => block_items(b, &n.path, &n.anchor, &mut more)?,
        };
        let _ = write!(
            out,
            "\n<a id=\"{}\"></a>\n### Nested Schema for `{}`\n",
            n.anchor, n.path
        );
        let mut items = items;
        for item in &mut items {
            let path = format!("{}.{}", n.path, item.name);
            if let Some(d) = field_docs.get(&path) {
                if item.description.is_empty() {
                    item.description = d.clone();
                }
                notes.used.push(path);
            } else if item.description.is_empty() {
                notes.undocumented.push(path);
            }
        }
        write_groups(out, &items, "", false);
        queue.append(&mut more);
        i += 1;
    }
    Ok(())
}

/// Items for the attributes and nested blocks of a schema block.
fn block_items(
    block: &Value,
    path: &str,
    parent_anchor: &str,
    queue: &mut Vec<Nested>,
) -> Result<Vec<Item>, Error> {
    let mut items = Vec::new();
    let empty = serde_json::Map::new();
    let attrs = block
        .get("attributes")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut names: Vec<&String> = attrs.keys().collect();
    names.sort();
    for name in names {
        let a = &attrs[name.as_str()];
        let flag = |k: &str| a.get(k).and_then(Value::as_bool).unwrap_or(false);
        let group = if flag("required") {
            Group::Required
        } else if flag("optional") {
            Group::Optional
        } else {
            Group::ReadOnly
        };
        let child_path = join(path, name);
        let anchor = child_anchor(parent_anchor, "nestedatt", name);
        let (type_label, nested) = if let Some(nt) = a.get("nested_type") {
            let mode = nt
                .get("nesting_mode")
                .and_then(Value::as_str)
                .unwrap_or("single");
            let label = match mode {
                "list" => "Attributes List",
                "set" => "Attributes Set",
                "map" => "Attributes Map",
                _ => "Attributes",
            };
            (label.to_owned(), Some(NestedBody::Block(nt.clone())))
        } else {
            let ty = a.get("type").ok_or_else(|| {
                Error::new(format!(
                    "attribute {child_path} has neither type nor nested_type"
                ))
            })?;
            let label = type_label(ty)?;
            let nested = find_object(ty).map(|fields| NestedBody::Object(fields.clone()));
            (label, nested)
        };
        let nested_anchor = nested.map(|body| {
            queue.push(Nested {
                anchor: anchor.clone(),
                path: child_path.clone(),
                body,
                parent_group: group,
            });
            anchor.clone()
        });
        items.push(Item {
            name: name.clone(),
            group,
            type_label,
            description: description(a),
            sensitive: flag("sensitive"),
            deprecated: flag("deprecated"),
            nested_anchor,
        });
    }

    let blocks = block
        .get("block_types")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut names: Vec<&String> = blocks.keys().collect();
    names.sort();
    for name in names {
        let b = &blocks[name.as_str()];
        let mode = b
            .get("nesting_mode")
            .and_then(Value::as_str)
            .unwrap_or("single");
        let min = b.get("min_items").and_then(Value::as_u64).unwrap_or(0);
        let max = b.get("max_items").and_then(Value::as_u64).unwrap_or(0);
        let mut label = match mode {
            "list" => "Block List".to_owned(),
            "set" => "Block Set".to_owned(),
            "map" => "Block Map".to_owned(),
            _ => "Block".to_owned(),
        };
        if min > 0 {
            let _ = write!(label, ", Min: {min}");
        }
        if max > 0 {
            let _ = write!(label, ", Max: {max}");
        }
        let inner = b.get("block").cloned().unwrap_or(Value::Null);
        let anchor = child_anchor(parent_anchor, "nestedblock", name);
        let child_path = join(path, name);
        queue.push(Nested {
            anchor: anchor.clone(),
            path: child_path,
            body: NestedBody::Block(inner.clone()),
            parent_group: Group::Optional,
        });
        items.push(Item {
            name: name.clone(),
            group: if min > 0 {
                Group::Required
            } else {
                Group::Optional
            },
            type_label: label,
            description: description(&inner),
            sensitive: false,
            deprecated: inner
                .get("deprecated")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            nested_anchor: Some(anchor),
        });
    }
    Ok(items)
}

/// Items for the fields of an object type; they all share the holding attribute's group.
fn object_items(
    fields: &serde_json::Map<String, Value>,
    path: &str,
    parent_anchor: &str,
    group: Group,
    queue: &mut Vec<Nested>,
) -> Result<Vec<Item>, Error> {
    let mut names: Vec<&String> = fields.keys().collect();
    names.sort();
    let mut items = Vec::new();
    for name in names {
        let ty = &fields[name.as_str()];
        let anchor = child_anchor(parent_anchor, "nestedatt", name);
        let child_path = join(path, name);
        let nested_anchor = find_object(ty).map(|inner| {
            queue.push(Nested {
                anchor: anchor.clone(),
                path: child_path.clone(),
                body: NestedBody::Object(inner.clone()),
                parent_group: group,
            });
            anchor.clone()
        });
        items.push(Item {
            name: name.clone(),
            group,
            type_label: type_label(ty)?,
            description: String::new(),
            sensitive: false,
            deprecated: false,
            nested_anchor,
        });
    }
    Ok(items)
}

/// `nestedatt--a` at the top, `<parent anchor>--b` below it.
fn child_anchor(parent_anchor: &str, kind: &str, name: &str) -> String {
    if parent_anchor.is_empty() {
        format!("{kind}--{name}")
    } else {
        format!("{parent_anchor}--{name}")
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn description(v: &Value) -> String {
    v.get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// Writes the items grouped as Required / Optional / Read-Only. Top-level groups get headings;
/// nested ones get a `Required:` style label, as the Registry renders them.
fn write_groups(out: &mut String, items: &[Item], heading: &str, top: bool) {
    for group in [Group::Required, Group::Optional, Group::ReadOnly] {
        let in_group: Vec<&Item> = items.iter().filter(|i| i.group == group).collect();
        if in_group.is_empty() {
            continue;
        }
        if top {
            let _ = write!(out, "\n{heading} {}\n\n", group.title());
        } else {
            let _ = write!(out, "\n{}:\n\n", group.title());
        }
        for item in in_group {
            let mut flags = item.type_label.clone();
            if item.sensitive {
                flags.push_str(", Sensitive");
            }
            if item.deprecated {
                flags.push_str(", Deprecated");
            }
            let _ = write!(out, "- `{}` ({})", item.name, flags);
            if !item.description.is_empty() {
                let _ = write!(out, " {}", item.description.replace('\n', "\n  "));
            }
            if let Some(anchor) = &item.nested_anchor {
                let _ = write!(out, " (see [below for nested schema](#{anchor}))");
            }
            out.push('\n');
        }
    }
}

/// The Registry's wording for a type: `String`, `List of String`, `Map of List of String`, `List of Object`.
pub fn type_label(ty: &Value) -> Result<String, Error> {
    match ty {
        Value::String(s) => Ok(match s.as_str() {
            "string" => "String",
            "number" => "Number",
            "bool" => "Boolean",
            "dynamic" => "Dynamic",
            other => {
                return Err(Error::new(format!(
                    "unknown primitive type {other:?} in schema"
                )))
            }
        }
        .to_owned()),
        Value::Array(parts) => {
            let kind = parts.first().and_then(Value::as_str).unwrap_or("");
            let inner = parts.get(1);
            match (kind, inner) {
                ("list", Some(t)) => Ok(format!("List of {}", type_label(t)?)),
                ("set", Some(t)) => Ok(format!("Set of {}", type_label(t)?)),
                ("map", Some(t)) => Ok(format!("Map of {}", type_label(t)?)),
                ("object", Some(_)) => Ok("Object".to_owned()),
                ("tuple", Some(_)) => Ok("Tuple".to_owned()),
                _ => Err(Error::new(format!("unknown type {ty} in schema"))),
            }
        }
        _ => Err(Error::new(format!("unknown type {ty} in schema"))),
    }
}

/// The fields of the object inside a (possibly list/set/map-wrapped) type, if there is one.
fn find_object(ty: &Value) -> Option<&serde_json::Map<String, Value>> {
    let parts = ty.as_array()?;
    match parts.first().and_then(Value::as_str)? {
        "object" => parts.get(1)?.as_object(),
        "list" | "set" | "map" => find_object(parts.get(1)?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels() {
        assert_eq!(type_label(&json!("string")).unwrap(), "String");
        assert_eq!(
            type_label(&json!(["set", "string"])).unwrap(),
            "Set of String"
        );
        assert_eq!(
            type_label(&json!(["map", ["list", "string"]])).unwrap(),
            "Map of List of String"
        );
        assert_eq!(
            type_label(&json!(["list", ["object", {"a": "string"}]])).unwrap(),
            "List of Object"
        );
        assert!(type_label(&json!("float")).is_err());
    }

    #[test]
    fn groups_and_nested_objects() {
        let block = json!({
            "attributes": {
                "b": {"type": "string", "optional": true, "description": "B."},
                "a": {"type": "string", "required": true, "description": "A."},
                "s": {"type": "string", "optional": true, "sensitive": true, "description": "S."},
                "items": {"type": ["list", ["object", {"y": "bool", "x": ["list", ["object", {"z": "number"}]]}]], "computed": true, "description": "Items."}
            }
        });
        let mut docs = FieldDocs::new();
        docs.insert("items.y".into(), "Y field.".into());
        let mut notes = Notes::default();
        let md = render(&block, &docs, &mut notes).unwrap();
        let req = md.find("### Required").unwrap();
        let opt = md.find("### Optional").unwrap();
        let ro = md.find("### Read-Only").unwrap();
        assert!(req < opt && opt < ro, "{md}");
        assert!(md.contains("- `s` (String, Sensitive) S."), "{md}");
        assert!(md.contains("- `b` (String) B.\n- `s`"), "{md}");
        assert!(
            md.contains("<a id=\"nestedatt--items\"></a>\n### Nested Schema for `items`"),
            "{md}"
        );
        assert!(md.contains("- `y` (Boolean) Y field."), "{md}");
        assert!(
            md.contains("(see [below for nested schema](#nestedatt--items--x))"),
            "{md}"
        );
        assert!(md.contains("### Nested Schema for `items.x`"), "{md}");
        assert_eq!(
            notes.undocumented,
            vec!["items.x".to_owned(), "items.x.z".to_owned()]
        );
        assert_eq!(notes.used, vec!["items.y".to_owned()]);
    }

    #[test]
    fn nested_attribute_types_keep_their_flags() {
        let block = json!({
            "attributes": {
                "n": {"nested_type": {"nesting_mode": "set", "attributes": {
                    "k": {"type": "string", "required": true, "description": "K."},
                    "v": {"type": "string", "computed": true, "description": "V."}
                }}, "optional": true, "description": "N."}
            }
        });
        let mut notes = Notes::default();
        let md = render(&block, &FieldDocs::new(), &mut notes).unwrap();
        assert!(md.contains("- `n` (Attributes Set) N."), "{md}");
        assert!(md.contains("Required:\n\n- `k` (String) K."), "{md}");
        assert!(md.contains("Read-Only:\n\n- `v` (String) V."), "{md}");
        assert!(notes.undocumented.is_empty());
    }
}

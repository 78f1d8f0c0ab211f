//! Small builders for tf-provider schemas, so each resource's schema reads as a table.

use std::collections::HashMap;

use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, Schema,
};

pub use AttributeConstraint::{Computed, Optional, OptionalComputed, Required};

pub fn attr(ty: AttributeType, constraint: AttributeConstraint, description: &str) -> Attribute {
    Attribute {
        attr_type: ty,
        description: Description::markdown(description),
        constraint,
        sensitive: false,
        deprecated: false,
    }
}

pub fn string(constraint: AttributeConstraint, description: &str) -> Attribute {
    attr(AttributeType::String, constraint, description)
}

pub fn sensitive_string(constraint: AttributeConstraint, description: &str) -> Attribute {
    Attribute {
        sensitive: true,
        ..string(constraint, description)
    }
}

pub fn bool(constraint: AttributeConstraint, description: &str) -> Attribute {
    attr(AttributeType::Bool, constraint, description)
}

pub fn number(constraint: AttributeConstraint, description: &str) -> Attribute {
    attr(AttributeType::Number, constraint, description)
}

pub fn string_set(constraint: AttributeConstraint, description: &str) -> Attribute {
    attr(
        AttributeType::Set(Box::new(AttributeType::String)),
        constraint,
        description,
    )
}

/// `object({...})` type from (name, type) pairs.
pub fn object(fields: &[(&str, AttributeType)]) -> AttributeType {
    AttributeType::Object(
        fields
            .iter()
            .map(|(n, t)| ((*n).to_owned(), t.clone()))
            .collect(),
    )
}

/// A version-0 schema (state upgrades are not available in tf-provider, so the version stays 0).
pub fn schema(description: &str, attributes: Vec<(&str, Attribute)>) -> Schema {
    Schema {
        version: 0,
        block: Block {
            version: 0,
            attributes: attributes
                .into_iter()
                .map(|(n, a)| (n.to_owned(), a))
                .collect::<HashMap<_, _>>(),
            blocks: HashMap::new(),
            description: Description::markdown(description),
            deprecated: false,
        },
    }
}

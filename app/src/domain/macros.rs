//! Small declarative macros shared by the domain modules.
//!
//! `string_enum!` gives every storage-facing enum the same shape: a stable lowercase `as_str()` name
//! (what goes into the database, audit log and JSON), `parse` / `FromStr` that reject unknown names with
//! a [`DomainError::UnknownValue`](super::error::DomainError), and serde that round-trips through the
//! same names. Renaming a Rust variant therefore never changes stored data.
//!
//! `id_newtype!` makes opaque string identifiers distinct types, so a `UserId` cannot be passed where
//! a `GroupId` is expected.

macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $s:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in declaration order (useful for UI pickers and exhaustive tests).
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The stable storage name of this value. Never change these strings.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $s ),+ }
            }

            /// Parses a stable storage name produced by [`Self::as_str`].
            pub fn parse(s: &str) -> Result<Self, super::error::DomainError> {
                match s {
                    $( $s => Ok($name::$variant), )+
                    other => Err(super::error::DomainError::UnknownValue {
                        what: $what.to_string(),
                        value: other.to_string(),
                    }),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = super::error::DomainError;
            fn from_str(s: &str) -> Result<Self, super::error::DomainError> { $name::parse(s) }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl TryFrom<String> for $name {
            type Error = super::error::DomainError;
            fn try_from(s: String) -> Result<Self, super::error::DomainError> { $name::parse(&s) }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String { v.as_str().to_string() }
        }
    };
}

macro_rules! id_newtype {
    ( $( $(#[$meta:meta])* $name:ident ),+ $(,)? ) => {
        $(
            $(#[$meta])*
            #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
            #[serde(transparent)]
            pub struct $name(String);

            impl $name {
                /// Wraps an identifier issued by the storage layer (UUID, ULID or integer as text).
                pub fn new(id: impl Into<String>) -> Self { $name(id.into()) }
                pub fn as_str(&self) -> &str { &self.0 }
            }

            impl ::std::fmt::Display for $name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(&self.0)
                }
            }

            impl From<&str> for $name {
                fn from(s: &str) -> Self { $name(s.to_string()) }
            }

            impl From<String> for $name {
                fn from(s: String) -> Self { $name(s) }
            }
        )+
    };
}

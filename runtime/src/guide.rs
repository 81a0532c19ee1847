//! Longer reads, one page each. Nothing here is code.
//!
//! These pages are part of the crate's documentation on every build, not behind a feature:
//! their paths (`guide::configuration`, `guide::iam_era`, `guide::migrating`, `guide::grpc`,
//! `guide::metrics`)
//! are kept like any other public path, so
//! links to them from the README, from error messages and from elsewhere keep working across
//! releases. They hold no items, so nothing in them can break a build; their text changes
//! freely.

pub mod configuration {
    #![doc = include_str!("../docs/configuration.md")]
}

pub mod iam_era {
    #![doc = include_str!("../docs/iam-era.md")]
}

pub mod migrating {
    #![doc = include_str!("../docs/migrating.md")]
}

pub mod metrics {
    #![doc = include_str!("../docs/metrics-guide.md")]
}

pub mod grpc {
    // Three files, each whole on its own; the empty lines between them keep a paragraph from
    // running into the table before it.
    #![doc = include_str!("../docs/grpc.md")]
    #![doc = ""]
    #![doc = include_str!("../docs/grpc-statuses.md")]
    #![doc = ""]
    #![doc = include_str!("../docs/grpc-local.md")]
}

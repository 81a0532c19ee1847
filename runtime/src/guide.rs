//! Longer reads, one page each. Nothing here is code.

pub mod iam_era {
    #![doc = include_str!("../docs/iam-era.md")]
}

pub mod migrating {
    #![doc = include_str!("../docs/migrating.md")]
}

#![deny(unused_must_use)]

use scw_private::{Policy, Scope};

fn main() {
    let policy = Policy::new();
    policy.scope(Scope::ContainerToken);
    let _ = policy;
}

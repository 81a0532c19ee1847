//! `#[scw_private]` in a crate that enabled no framework feature of `scw-private`: the error
//! names the feature to enable. trybuild compiles every case with this crate's features (both
//! frameworks), so this case is a crate of its own, checked by cargo directly.

use std::path::Path;
use std::process::Command;

#[test]
fn without_a_framework_feature_the_error_names_the_feature() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let target = workspace.join("target");
    let project = target.join("tests").join("no-framework");
    std::fs::create_dir_all(project.join("src")).unwrap();
    let runtime = workspace.join("runtime");
    std::fs::write(
        project.join("Cargo.toml"),
        format!(
            "[package]\nname = \"no-framework\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nscw-private = {{ path = {:?}, default-features = false, features = [\"rust-crypto\"] }}\n\n[workspace]\n",
            runtime.display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(
        project.join("src").join("main.rs"),
        "use scw_private::scw_private;\n\n#[scw_private]\nasync fn handler() {}\n\nfn main() {}\n",
    )
    .unwrap();
    // The workspace's lock file, so the versions are the ones tested everywhere else.
    std::fs::copy(workspace.join("Cargo.lock"), project.join("Cargo.lock")).unwrap();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["check", "--quiet", "--offline"])
        .arg("--manifest-path")
        .arg(project.join("Cargo.toml"))
        // trybuild's target directory: the dependencies are mostly built there already.
        .env("CARGO_TARGET_DIR", target.join("tests").join("target"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it compiled:\n{stderr}");
    assert!(
        stderr.contains(
            "`#[scw_private]` needs a web framework: enable the `axum-0_8` or `actix-web-4` feature of `scw-private`"
        ),
        "{stderr}"
    );
    let errors = stderr
        .lines()
        .filter(|line| line.starts_with("error") && !line.starts_with("error: could not compile"))
        .count();
    assert_eq!(errors, 1, "one mistake, one error:\n{stderr}");
}

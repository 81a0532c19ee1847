//! The `scw-jwt` binary, run as a user runs it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use scw_private::{Policy, Reason, RejectionKind, Scope, TokenKind, Verifier};

mod support;
use support::Scratch;

const NS: &str = "11111111-1111-4111-8111-111111111111";
const CT: &str = "22222222-2222-4222-8222-222222222222";

fn scw_jwt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scw-jwt"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A fresh directory under the system's temporary directory, removed when dropped.
fn temp_dir() -> Scratch {
    Scratch::new("test")
}

/// Generates keys into a new directory and returns it: 2048 bits, which are fast to make
/// (the default, 4096 like the platform's, is tested on its own).
fn keys() -> Scratch {
    let dir = temp_dir();
    let output = scw_jwt(&["keygen", "--out", dir.to_str().unwrap(), "--bits", "2048"]);
    assert!(output.status.success(), "{}", stderr(&output));
    dir
}

fn path(dir: &Path, file: &str) -> String {
    dir.join(file).to_str().unwrap().to_owned()
}

fn verifier(dir: &Path) -> Verifier {
    let public = std::fs::read_to_string(dir.join("public.pem")).unwrap();
    Verifier::builder()
        .public_key_pem(public)
        .namespace_id(NS)
        .container_id(CT)
        .build()
        .unwrap()
}

fn mint(dir: &Path, extra: &[&str]) -> String {
    let key = path(dir, "private.pem");
    let mut args = vec!["mint", "--key", &key];
    args.extend_from_slice(extra);
    let output = scw_jwt(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output).trim().to_owned()
}

#[test]
fn keygen_writes_a_pair_and_prints_a_pasteable_export() {
    let dir = keys();
    let public = std::fs::read_to_string(dir.join("public.pem")).unwrap();
    assert!(
        public.starts_with("-----BEGIN RSA PUBLIC KEY-----"),
        "PKCS#1, as the platform injects it"
    );
    let private = std::fs::read_to_string(dir.join("private.pem")).unwrap();
    assert!(private.contains("PRIVATE KEY"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("private.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Run the printed line through a shell, as a user pastes it, and load what it exported.
    let again = temp_dir();
    let output = scw_jwt(&["keygen", "--out", again.to_str().unwrap()]);
    let export = stdout(&output);
    assert!(
        export.starts_with("export SCW_PUBLIC_KEY='-----BEGIN RSA PUBLIC KEY-----\\n"),
        "{export}"
    );
    let shell = Command::new("sh")
        .arg("-c")
        .arg(format!("{export}\nprintf %s \"$SCW_PUBLIC_KEY\""))
        .output()
        .unwrap();
    let value = String::from_utf8(shell.stdout).unwrap();
    let exported = scw_private::PublicKey::from_pem(&value).unwrap();
    assert_eq!(exported.bits(), 4096, "the platform's size by default");
}

#[test]
fn keygen_refuses_to_overwrite_without_force() {
    let dir = keys();
    let output = scw_jwt(&["keygen", "--out", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("exists; pass --force"),
        "{}",
        stderr(&output)
    );
    // A private key left readable by others, overwritten: readable by its owner only after.
    let private = dir.join("private.pem");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    assert!(
        scw_jwt(&["keygen", "--out", dir.to_str().unwrap(), "--force"])
            .status
            .success()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&private).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
}

#[test]
fn a_mistyped_command_never_echoes_an_iam_key() {
    const KEY: &str = "5c8e2a17-9d4b-4f3a-b6e1-0a7c9e2d4f68";
    for args in [
        &["edge", "--iam-kye", KEY, "--key", "k.pem", "--", "true"][..],
        &["edge", KEY],
        &["mint", "--namespace-id", "ns", "--key", KEY, KEY],
    ] {
        let output = scw_jwt(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let said = format!("{}{}", stdout(&output), stderr(&output));
        assert!(!said.contains(KEY), "{args:?} echoed the key: {said}");
        assert!(
            !said
                .to_lowercase()
                .contains(&KEY.to_uppercase().to_lowercase())
        );
        assert!(said.contains("error"), "{said}");
    }
}

/// The variable that names the pipe an edge's IAM keys come through is the edge's own, set for
/// itself when it starts again. Set by anyone else to a standard stream or to no descriptor
/// at all, it is refused as a mistake of use before the edge takes or reads the descriptor:
/// an edge that read stderr for keys would close it and fail without a word.
#[test]
fn the_key_pipe_variable_never_names_a_standard_stream() {
    for value in ["0", "1", "2", "-1", "three", ""] {
        let output = Command::new(env!("CARGO_BIN_EXE_scw-jwt"))
            .args(["edge", "--key", "k.pem", "--", "true"])
            .env("SCW_JWT_IAM_KEYS_FD", value)
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        let said = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{value:?}: {said}");
        assert!(
            said.contains("SCW_JWT_IAM_KEYS_FD is set by the edge only"),
            "{value:?}: {said}"
        );
    }
}

/// A file that holds secrets is refused, as ssh refuses a loose private key, when users other
/// than its owner may read or write it; the message says the command that fixes it. A symlink
/// is followed: the file it points to must be private.
#[test]
fn loose_key_files_are_refused_with_the_command_that_fixes_them() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = keys();
    let private = dir.join("private.pem");
    let iam_keys = dir.join("iam-keys.txt");
    std::fs::write(&iam_keys, "5c8e2a17-9d4b-4f3a-b6e1-0a7c9e2d4f68\n").unwrap();
    let link = dir.join("link.pem");
    std::os::unix::fs::symlink(&private, &link).unwrap();
    let chmod = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    let (private_arg, iam_arg, link_arg) = (
        private.to_str().unwrap(),
        iam_keys.to_str().unwrap(),
        link.to_str().unwrap(),
    );
    let mint_with = |key: &str| scw_jwt(&["mint", "--key", key, "--namespace-id", NS]);
    let edge_with = |iam: &str| {
        scw_jwt(&[
            "edge",
            "--key",
            private_arg,
            "--iam-key-file",
            iam,
            "--port",
            "1",
            "--",
            "false",
        ])
    };

    for mode in [0o644, 0o640, 0o604, 0o660, 0o602] {
        chmod(&private, mode);
        for key in [private_arg, link_arg] {
            let output = mint_with(key);
            assert_eq!(output.status.code(), Some(3), "{mode:o} {key}");
            let said = stderr(&output);
            assert!(
                said.contains("other users may read it") && said.contains(&format!("{mode:04o}")),
                "{said}"
            );
            assert!(said.contains(&format!("chmod 600 {key}")), "{said}");
            assert!(stdout(&output).is_empty(), "no token from a loose key");
        }
    }
    chmod(&private, 0o600);
    assert!(mint_with(private_arg).status.success());
    // Through a symlink (itself mode 0777, as every symlink is) to a private file: accepted.
    assert!(mint_with(link_arg).status.success());

    chmod(&iam_keys, 0o644);
    let output = edge_with(iam_arg);
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains(&format!("chmod 600 {iam_arg}")),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("5c8e2a17"), "{}", stderr(&output));
}

/// A run-time error names a path or the service's command, and either may hold a key's name:
/// it is blanked there too.
#[test]
fn run_time_errors_never_print_a_key_in_a_path_or_a_command() {
    const KEY: &str = "5c8e2a17-9d4b-4f3a-b6e1-0a7c9e2d4f68";
    let dir = keys();
    let missing = dir.join(format!("{KEY}.pem"));
    let private = path(&dir, "private.pem");
    let missing_command = format!("/nonexistent/{KEY}/service");
    for args in [
        &[
            "mint",
            "--key",
            missing.to_str().unwrap(),
            "--namespace-id",
            NS,
        ][..],
        &[
            "edge",
            "--key",
            &private,
            "--port",
            "0",
            "--",
            &missing_command,
        ],
    ] {
        let output = scw_jwt(args);
        assert_eq!(
            output.status.code(),
            Some(3),
            "{args:?}: {}",
            stderr(&output)
        );
        let said = format!("{}{}", stdout(&output), stderr(&output));
        assert!(!said.contains(KEY), "{args:?} printed the key: {said}");
        assert!(said.contains("<redacted>"), "{said}");
    }
}

/// A value given to a secret-bearing flag is somebody's key whatever its shape: no error about
/// an edge command line repeats it, clap's or the edge's own.
#[test]
fn a_near_key_is_never_echoed_either() {
    const KEY: &str = "5c8e2a17-9d4b-4f3a-b6e1-0a7c9e2d4f68";
    let short = &KEY[1..];
    let bare = KEY.replace('-', "");
    let spaced = KEY.replace('-', " - ");
    let cases: [(&[&str], &str); 5] = [
        // The realistic mistake: two keys after one flag; clap rejects the second and quotes it.
        (&["edge", "--iam-key", KEY, short, "--", "true"], short),
        (&["edge", "--iam-key", short, "--", "true"], short),
        (&["edge", "--iam-key", &bare, "--", "true"], &bare),
        (&["edge", "--iam-key", &spaced, "--", "true"], &spaced),
        // A valid key beside another mistake.
        (
            &["edge", &format!("--iam-key={short}"), "--port", "nope"],
            short,
        ),
    ];
    for (args, secret) in cases {
        let output = scw_jwt(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let said = format!("{}{}", stdout(&output), stderr(&output));
        assert!(!said.contains(secret), "{args:?} echoed a key: {said}");
        assert!(!said.contains(KEY), "{args:?} echoed a key: {said}");
        assert!(said.contains("error"), "{said}");
    }
}

#[test]
fn minted_tokens_verify_with_the_generated_key_and_are_refused_where_they_should_be() {
    let dir = keys();
    let verifier = verifier(&dir);
    let namespace = mint(&dir, &["--namespace-id", NS]);
    assert_eq!(
        verifier.verify(&namespace, &Policy::new()).unwrap().kind(),
        TokenKind::Namespace
    );
    let refusal = verifier
        .verify(&namespace, &Policy::new().scope(Scope::ContainerToken))
        .unwrap_err();
    assert_eq!(refusal.kind(), RejectionKind::InsufficientScope);

    let container = mint(
        &dir,
        &[
            "--container-id",
            CT,
            "--namespace-id",
            NS,
            "--expires-at",
            "2999-01-02T00:00:00Z",
        ],
    );
    let claims = verifier
        .verify(&container, &Policy::new().scope(Scope::ContainerToken))
        .unwrap();
    assert_eq!(claims.kind(), TokenKind::Container);
    assert_eq!(claims.exp(), Some(32_472_230_400));

    let container_only = mint(&dir, &["--container-id", CT]);
    let payload = container_only.split('.').nth(1).unwrap();
    let payload: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    let mut members: Vec<&str> = payload
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    members.sort_unstable();
    assert_eq!(
        members,
        [
            "application_claim",
            "aud",
            "iat",
            "iss",
            "jti",
            "nbf",
            "sub",
            "version"
        ],
        "the platform's profile, no exp: {payload}"
    );
    assert_eq!(
        payload["application_claim"],
        serde_json::json!([{"namespace_id": "", "application_id": CT}])
    );
    assert_eq!(
        (
            &payload["version"],
            &payload["sub"],
            &payload["iss"],
            &payload["aud"]
        ),
        (
            &serde_json::json!(2),
            &serde_json::json!("token"),
            &serde_json::json!("SCALEWAY"),
            &serde_json::json!("functions")
        )
    );

    let sibling = mint(&dir, &["--container-id", "another-container"]);
    assert_eq!(
        verifier
            .verify(&sibling, &Policy::new())
            .unwrap_err()
            .kind(),
        RejectionKind::InsufficientScope
    );

    let expired = mint(
        &dir,
        &[
            "--namespace-id",
            NS,
            "--expires-at",
            "2020-01-01T00:00:00+01:00",
        ],
    );
    assert_eq!(
        verifier
            .verify(&expired, &Policy::new())
            .unwrap_err()
            .reason(),
        Reason::Expired
    );

    let other_verifier = self::verifier(&keys());
    assert_eq!(
        other_verifier
            .verify(&namespace, &Policy::new())
            .unwrap_err()
            .reason(),
        Reason::BadSignature
    );
}

#[test]
fn bad_input_is_exit_code_2_and_a_failure_at_run_time_exit_code_3() {
    let dir = keys();
    let key = path(&dir, "private.pem");
    let public = path(&dir, "public.pem");
    let cases: [(&[&str], i32, &str); 7] = [
        // clap validates where it parses, and the error names the flag.
        (
            &[
                "mint",
                "--key",
                &key,
                "--namespace-id",
                NS,
                "--expires-at",
                "next week",
            ],
            2,
            "--expires-at <DATE>",
        ),
        (&["mint", "--key", &key], 2, "required"),
        (
            &["keygen", "--out", "/tmp/unused", "--bits", "1024"],
            2,
            "--bits <BITS>",
        ),
        // Before any file is read: the key file here does not exist.
        (
            &[
                "edge",
                "--key",
                "/nonexistent/private.pem",
                "--iam-key",
                "not-a-uuid",
                "--",
                "true",
            ],
            2,
            "--iam-key takes the secret key of an IAM API key",
        ),
        // A file that holds no key is bad input...
        (
            &["mint", "--key", &public, "--namespace-id", NS],
            2,
            "not a PEM RSA private key",
        ),
        // ...one that cannot be read is a failure at run time.
        (
            &[
                "mint",
                "--key",
                "/nonexistent/private.pem",
                "--namespace-id",
                NS,
            ],
            3,
            "cannot read /nonexistent/private.pem",
        ),
        (
            &["keygen", "--out", "/proc/no-such-dir/keys"],
            3,
            "cannot create /proc/no-such-dir/keys",
        ),
    ];
    for (args, code, message) in cases {
        let output = scw_jwt(args);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(message),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    // A rejected --iam-key is never repeated, whatever it is.
    let output = scw_jwt(&[
        "edge",
        "--key",
        &key,
        "--iam-key",
        "almost-a-secret",
        "--",
        "true",
    ]);
    assert!(
        !stderr(&output).contains("almost-a-secret"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn inspect_shows_the_claims_and_the_verdict() {
    let dir = keys();
    let token = mint(&dir, &["--container-id", CT, "--namespace-id", NS]);
    let public = path(&dir, "public.pem");

    let output = scw_jwt(&["inspect", &token]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(
        text.contains("\"alg\": \"RS256\"")
            && text.contains(CT)
            && text.contains("nothing was verified"),
        "{text}"
    );

    let output = scw_jwt(&[
        "inspect",
        &token,
        "--key",
        &public,
        "--namespace-id",
        NS,
        "--container-id",
        CT,
    ]);
    assert!(output.status.success(), "{}", stdout(&output));
    assert!(stdout(&output).contains("accepted: a Container token"));

    let output = scw_jwt(&[
        "inspect",
        &token,
        "--key",
        &public,
        "--namespace-id",
        NS,
        "--container-id",
        "other",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("refused (insufficient_scope, HTTP 403)"),
        "{}",
        stdout(&output)
    );

    let expired = mint(
        &dir,
        &["--namespace-id", NS, "--expires-at", "2001-01-01T00:00:00Z"],
    );
    let output = scw_jwt(&["inspect", &expired, "--key", &public, "--namespace-id", NS]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("refused (invalid_token, HTTP 401): token expired"),
        "{}",
        stdout(&output)
    );

    let output = scw_jwt(&["inspect", "not-a-token"]);
    assert_eq!(output.status.code(), Some(1));

    let output = scw_jwt(&["inspect", &token, "--key", &public]);
    assert_eq!(output.status.code(), Some(2), "--key needs --namespace-id");
}

#[test]
fn every_command_has_help_with_an_example() {
    for command in ["keygen", "mint", "inspect", "serve"] {
        let output = scw_jwt(&[command, "--help"]);
        assert!(output.status.success());
        assert!(
            stdout(&output).contains("Example"),
            "{command}: {}",
            stdout(&output)
        );
    }
}

/// A GET over loopback; returns status and body.
fn http_get(addr: &str, path: &str) -> (u16, String) {
    let response = tests::blocking::send(addr.parse().unwrap(), "GET", path, &[], "");
    (response.status, response.body)
}

#[test]
fn serve_issues_tokens_like_the_platform_endpoint() {
    let dir = keys();
    let mut child = Command::new(env!("CARGO_BIN_EXE_scw-jwt"))
        .args(["serve", "--key", &path(&dir, "private.pem"), "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let addr = first_line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap()
        .to_owned();
    assert!(
        addr.starts_with("127.0.0.1:"),
        "loopback by default: {addr}"
    );

    let verifier = verifier(&dir);
    let (status, body) = http_get(&addr, &format!("/issue-jwt?namespace_id={NS}"));
    assert_eq!(status, 200, "{body}");
    let token = serde_json::from_str::<serde_json::Value>(&body).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        verifier.verify(&token, &Policy::new()).unwrap().kind(),
        TokenKind::Namespace
    );

    let (status, body) = http_get(
        &addr,
        &format!("/issue-jwt?container_id={CT}&expires_at=2999-01-02T00:00:00Z"),
    );
    assert_eq!(status, 200, "{body}");
    let token = serde_json::from_str::<serde_json::Value>(&body).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let claims = verifier.verify(&token, &Policy::new()).unwrap();
    assert_eq!(
        (claims.kind(), claims.exp()),
        (TokenKind::Container, Some(32_472_230_400))
    );

    for query in [
        "",
        "?expires_at=2999-01-02T00:00:00Z",
        "?namespace_id=",
        "?namespace_id=x&expires_at=soon",
        "?app=x",
    ] {
        let (status, body) = http_get(&addr, &format!("/issue-jwt{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"], "invalid_request", "{query}");
        assert!(error["error_description"].is_string());
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

//! Keeping secrets out of what `scw-jwt` prints: clap's usage errors, run-time errors, and the
//! service command the edge names.
//!
//! Two rules, applied together to every such text:
//! - every value given to a secret-bearing flag (`--iam-key K`, `--iam-key=K`) is blanked,
//!   whatever its shape (a key one character short, without hyphens, with spaces around them
//!   is still somebody's key), and so are the words that follow it up to the next option or
//!   `--` (`--iam-key K1 K2` meant two keys: clap rejects `K2` and would quote it);
//! - everything shaped like a UUID (an IAM secret key, maybe) is blanked wherever it stands,
//!   even inside a longer run (a key typed with a character too many is still a key), so a
//!   key in a path or a command is not printed either.

use std::ffi::OsString;

/// The flags whose values are secrets.
const SECRET_FLAGS: [&str; 1] = ["--iam-key"];

const BLANK: &str = "<redacted>";

/// `text` with this process's secret command-line words and every UUID-shaped run blanked.
pub(crate) fn output(text: &str) -> String {
    with_secrets(text, &secret_words(std::env::args_os()))
}

/// The words of a command line that may be secrets (see the module's rules).
pub(crate) fn secret_words(args: impl IntoIterator<Item = OsString>) -> Vec<String> {
    let mut secrets = Vec::new();
    let mut after_secret_flag = false;
    for arg in args {
        let arg = arg.to_string_lossy().into_owned();
        if arg == "--" {
            break;
        }
        if let Some((flag, value)) = arg.split_once('=')
            && SECRET_FLAGS.contains(&flag)
        {
            secrets.push(value.to_owned());
            after_secret_flag = true;
        } else if SECRET_FLAGS.contains(&arg.as_str()) {
            after_secret_flag = true;
        } else if arg.starts_with('-') {
            after_secret_flag = false;
        } else if after_secret_flag {
            secrets.push(arg);
        }
    }
    secrets.retain(|secret| !secret.is_empty());
    // The longest first, so a secret that contains another is blanked whole.
    secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    secrets
}

/// `text` with each of `secrets` blanked where it stands as a whole word (not inside a longer
/// word: a one-letter mistake must not blank every letter of a message), then every UUID-shaped
/// run blanked.
pub(crate) fn with_secrets(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_owned();
    for secret in secrets {
        text = blank_whole_words(&text, secret);
    }
    uuids(&text)
}

fn blank_whole_words(text: &str, word: &str) -> String {
    let part_of_a_word = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let (before, after) = (&rest[..at], &rest[at + word.len()..]);
        let whole = !before.chars().next_back().is_some_and(part_of_a_word)
            && !after.chars().next().is_some_and(part_of_a_word);
        out.push_str(before);
        out.push_str(if whole { BLANK } else { word });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `text` with everything shaped like a UUID blanked, even inside a longer run.
pub(crate) fn uuids(text: &str) -> String {
    const UUID_LEN: usize = 36;
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(candidate) = rest.get(..UUID_LEN)
            && scw_private::testing::is_iam_secret_key(candidate)
        {
            out.push_str(BLANK);
            rest = &rest[UUID_LEN..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `path` with every segment that looks like a JWT (it starts as every JWT's header does,
/// `eyJ`, and holds a dot) blanked: a client may put its token in a URL, and the edge never
/// prints one.
pub(crate) fn tokens_in_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with("eyJ") && segment.contains('.') {
                BLANK
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_token_in_a_path_is_blanked() {
        assert_eq!(
            super::tokens_in_path("/a/eyJhbGciOi.eyJzdWIi.c2ln/b"),
            "/a/<redacted>/b"
        );
        assert_eq!(super::tokens_in_path("/a/eyJ/b.c"), "/a/eyJ/b.c");
    }

    use super::*;

    /// Test-only: the shape of an IAM secret key, not a real one.
    const KEY: &str = "7e2a9c41-5b3d-4f6e-8a1c-2d4b6f8e0a13";

    fn words(args: &[&str]) -> Vec<String> {
        secret_words(args.iter().map(OsString::from))
    }

    #[test]
    fn every_uuid_is_blanked_wherever_it_stands() {
        assert_eq!(uuids(KEY), "<redacted>");
        assert_eq!(uuids(&KEY.to_uppercase()), "<redacted>");
        assert_eq!(
            uuids(&format!("a value '{KEY}' and --iam-key={KEY}")),
            "a value '<redacted>' and --iam-key=<redacted>"
        );
        assert_eq!(uuids(&format!("é{KEY}✓")), "é<redacted>✓");
        assert_eq!(
            uuids(&format!("cannot read /home/me/{KEY}.txt: denied")),
            "cannot read /home/me/<redacted>.txt: denied"
        );
    }

    #[test]
    fn a_key_with_a_character_too_many_is_still_blanked() {
        assert_eq!(uuids(&format!("0{KEY}")), "0<redacted>");
        assert_eq!(uuids(&format!("{KEY}f")), "<redacted>f");
        assert_eq!(uuids(&format!("{KEY}{KEY}")), "<redacted><redacted>");
        // One character short is no longer the shape of a key: the command line says it is one.
        assert_eq!(uuids(&KEY[1..]), &KEY[1..]);
    }

    #[test]
    fn everything_else_is_kept_as_it_is() {
        for text in [
            "",
            "error: unexpected argument '--iam-kye' found",
            "ünïcödé ✓ 🦀",
            "7e2a9c41_5b3d_4f6e_8a1c_2d4b6f8e0a13",
        ] {
            assert_eq!(uuids(text), text);
            assert_eq!(with_secrets(text, &[]), text);
        }
    }

    #[test]
    fn values_of_secret_flags_are_secrets_whatever_their_shape() {
        let short = &KEY[1..];
        let bare = KEY.replace('-', "");
        let spaced = KEY.replace('-', " - ");
        assert_eq!(
            words(&[
                "edge",
                "--iam-key",
                short,
                "--key",
                "k.pem",
                "--",
                "cmd",
                KEY
            ]),
            [short]
        );
        assert_eq!(
            words(&["edge", &format!("--iam-key={bare}")]),
            [bare.as_str()]
        );
        assert_eq!(words(&["edge", "--iam-key", &spaced]), [spaced.as_str()]);
        // `--iam-key K1 K2 -- cmd`: the second key follows the first, before `--`.
        assert_eq!(
            words(&["edge", "--iam-key", KEY, short, "--", "cargo", "run"]),
            [KEY, short]
        );
        // A flag's own value is not a secret, nor what follows another flag.
        assert!(words(&["edge", "--port", "8080", "--iam-key-file", "keys.txt"]).is_empty());
        assert!(words(&["edge", "--iam-key="]).is_empty());
    }

    #[test]
    fn secrets_are_blanked_as_whole_words_only() {
        let secrets = words(&["--iam-key", "abc12345", "--iam-key", "x"]);
        assert_eq!(
            with_secrets("error: unexpected argument 'abc12345' found", &secrets),
            "error: unexpected argument '<redacted>' found"
        );
        // `x` is blanked where it stands alone, never inside `example` or `x-auth-token`.
        assert_eq!(
            with_secrets("for example 'x' in x-auth-token", &secrets),
            "for example '<redacted>' in x-auth-token"
        );
        // The longer of two secrets that share a start is blanked whole.
        let nested = words(&["--iam-key", "abcd", "--iam-key", "abcd efgh"]);
        assert_eq!(with_secrets("'abcd efgh'", &nested), "'<redacted>'");
    }
}

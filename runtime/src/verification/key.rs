//! The public key that verifies tokens: PEM text in, a checked RSA key out.

use std::fmt;

use base64::Engine as _;
use jsonwebtoken::DecodingKey;

use crate::verification::der::{self, DerError};

/// An RSA public key, proven at load time to be one and to be large enough.
#[derive(Clone)]
pub struct PublicKey {
    decoding: DecodingKey,
    bits: usize,
}

impl PublicKey {
    /// The smallest key accepted, in bits: smaller RSA keys are breakable.
    pub const MIN_BITS: usize = 2048;
    /// The largest key accepted, in bits: larger ones only cost time per request.
    pub const MAX_BITS: usize = 8192;

    /// Parses a PEM public key as the platform injects it in `SCW_PUBLIC_KEY`.
    ///
    /// Accepts PKCS#1 (`BEGIN RSA PUBLIC KEY`) and SPKI (`BEGIN PUBLIC KEY`) and undoes what
    /// environment variables do to PEM text: surrounding quotes and whitespace, literal `\n`
    /// escapes, CRLF line ends, and line breaks turned into spaces. Exactly one PEM block is
    /// allowed. Private keys, certificates, non-RSA keys and RSA keys under 2048 bits are
    /// refused with an error that says which.
    ///
    /// ```
    /// # let pem = include_str!("../../test-keys/rsa2048-a.pkcs1.pem");
    /// let key = scw_private::PublicKey::from_pem(pem)?;
    /// assert_eq!(key.bits(), 2048);
    /// # Ok::<(), scw_private::KeyError>(())
    /// ```
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let (label, der) = decode_pem(text)?;
        let pkcs1 = match label.as_str() {
            "RSA PUBLIC KEY" => der.as_slice(),
            "PUBLIC KEY" => der::spki_to_pkcs1(&der).map_err(KeyError::from)?,
            label if label.ends_with("PRIVATE KEY") => return Err(KeyError::PrivateKey),
            label if label.ends_with("CERTIFICATE") => return Err(KeyError::Certificate),
            label => {
                return Err(KeyError::UnsupportedLabel {
                    label: label.to_owned(),
                });
            }
        };
        let components = der::pkcs1(pkcs1).map_err(KeyError::from)?;
        let bits = components.bits();
        if bits < PublicKey::MIN_BITS {
            return Err(KeyError::TooSmall { bits });
        }
        if bits > PublicKey::MAX_BITS {
            return Err(KeyError::TooLarge { bits });
        }
        // An even modulus or an exponent below 3 is no RSA key anyone generated honestly.
        let odd = |n: &[u8]| n.last().is_some_and(|b| b & 1 == 1);
        if !odd(components.modulus) || !odd(components.exponent) || components.exponent == [1] {
            return Err(KeyError::InvalidDer);
        }
        Ok(Self {
            decoding: DecodingKey::from_rsa_der(pkcs1),
            bits,
        })
    }

    /// The size of the modulus in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Public, but there is no reason to print key material into logs.
        f.debug_struct("PublicKey")
            .field("bits", &self.bits)
            .finish_non_exhaustive()
    }
}

/// Why a public key was refused.
///
/// Messages say what is wrong and what is expected; they never contain key material.
///
/// # What this type promises
///
/// The same as [`ConfigError`](crate::ConfigError), which carries it: it is `Clone`, `Debug`,
/// `Display`, [`Error`](std::error::Error), `Send`, `Sync` and `'static`, and not `PartialEq`,
/// so that a later release may give a variant a source that cannot be compared (the I/O
/// error of a key file, say); match on variants instead. New variants may appear, and the
/// variants with fields may gain fields (they are `#[non_exhaustive]`: match them with `..`).
///
/// ```compile_fail,E0638
/// # use scw_private::KeyError;
/// fn too_small(error: &KeyError) -> bool {
///     matches!(error, KeyError::TooSmall { bits: 1024 })
/// }
/// ```
///
/// ```
/// # use scw_private::KeyError;
/// fn too_small(error: &KeyError) -> bool {
///     matches!(error, KeyError::TooSmall { bits: 1024, .. })
/// }
/// ```
#[derive(Clone, Debug)]
// Unit tests compare values; the public API promises no equality (see above).
#[cfg_attr(test, derive(PartialEq))]
#[non_exhaustive]
pub enum KeyError {
    /// No key was given (the variable is unset).
    Missing,
    /// The value is empty or only whitespace.
    Empty,
    /// No `-----BEGIN ...-----` line.
    NoPemBlock,
    /// More than one PEM block.
    #[non_exhaustive]
    MultiplePemBlocks {
        /// How many `BEGIN` lines were found.
        count: usize,
    },
    /// A `BEGIN` line without its matching `END` line.
    Unterminated,
    /// Text other than whitespace around the PEM block.
    TextOutsideBlock,
    /// A private key where the public key belongs.
    PrivateKey,
    /// A certificate where the public key belongs.
    Certificate,
    /// A PEM block of another kind.
    #[non_exhaustive]
    UnsupportedLabel {
        /// The block's label, as in `-----BEGIN <label>-----`.
        label: String,
    },
    /// A public key for another algorithm than RSA.
    NotRsa,
    /// The body of the block is not base64.
    InvalidBase64,
    /// The body is not a well-formed RSA public key.
    InvalidDer,
    /// An RSA key smaller than [`PublicKey::MIN_BITS`].
    #[non_exhaustive]
    TooSmall {
        /// The size of its modulus.
        bits: usize,
    },
    /// An RSA key larger than [`PublicKey::MAX_BITS`].
    #[non_exhaustive]
    TooLarge {
        /// The size of its modulus.
        bits: usize,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("no public key is set"),
            Self::Empty => f.write_str("the public key is empty"),
            Self::NoPemBlock => f.write_str("not a PEM key: no `-----BEGIN ...-----` line"),
            Self::MultiplePemBlocks { count } => {
                write!(f, "{count} PEM blocks found; give exactly one public key")
            }
            Self::Unterminated => f.write_str("the PEM block has no matching `-----END ...-----` line"),
            Self::TextOutsideBlock => f.write_str("unexpected text around the PEM block"),
            Self::PrivateKey => {
                f.write_str("this is a private key; give the public key (`BEGIN RSA PUBLIC KEY` or `BEGIN PUBLIC KEY`)")
            }
            Self::Certificate => {
                f.write_str("this is a certificate; give the public key (`BEGIN RSA PUBLIC KEY` or `BEGIN PUBLIC KEY`)")
            }
            Self::UnsupportedLabel { label } => write!(
                f,
                "unsupported PEM block `{label}`; expected `RSA PUBLIC KEY` or `PUBLIC KEY`"
            ),
            Self::NotRsa => f.write_str("not an RSA key; tokens are signed with RS256"),
            Self::InvalidBase64 => f.write_str("the PEM body is not valid base64"),
            Self::InvalidDer => f.write_str("the PEM body is not a well-formed RSA public key"),
            Self::TooSmall { bits } => {
                write!(
                    f,
                    "the RSA key has {bits} bits; at least {} are required",
                    PublicKey::MIN_BITS
                )
            }
            Self::TooLarge { bits } => {
                write!(
                    f,
                    "the RSA key has {bits} bits; at most {} are supported",
                    PublicKey::MAX_BITS
                )
            }
        }
    }
}

impl std::error::Error for KeyError {}

impl From<DerError> for KeyError {
    fn from(error: DerError) -> Self {
        match error {
            DerError::Malformed => Self::InvalidDer,
            DerError::NotRsa => Self::NotRsa,
        }
    }
}

/// Undoes what shells, `.env` files and container consoles do to a multi-line value.
fn normalize(text: &str) -> String {
    let mut text = text.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote)) {
            text = inner.trim();
            break;
        }
    }
    text.replace("\\r\\n", "\n")
        .replace("\\n", "\n")
        .replace("\\r", "\n")
        .replace("\r\n", "\n")
        .replace('\r', "\n")
}

/// The label and DER body of the one PEM block in `text`, after undoing what environment
/// variables do to PEM (see [`PublicKey::from_pem`]).
pub(crate) fn decode_pem(text: &str) -> Result<(String, Vec<u8>), KeyError> {
    let text = normalize(text);
    if text.is_empty() {
        return Err(KeyError::Empty);
    }
    let block = single_block(&text)?;
    let der = base64::engine::general_purpose::STANDARD
        .decode(block.body.as_bytes())
        .map_err(|_| KeyError::InvalidBase64)?;
    Ok((block.label.to_owned(), der))
}

struct Block<'a> {
    label: &'a str,
    /// The base64 body with all whitespace removed.
    body: String,
}

const BEGIN: &str = "-----BEGIN ";
const DASHES: &str = "-----";

/// Finds the one PEM block in `text`, without relying on line breaks, which may have become
/// spaces on the way.
fn single_block(text: &str) -> Result<Block<'_>, KeyError> {
    match text.matches(BEGIN).count() {
        0 => return Err(KeyError::NoPemBlock),
        1 => {}
        count => return Err(KeyError::MultiplePemBlocks { count }),
    }
    let start = text.find(BEGIN).unwrap_or_default();
    if !text[..start].trim().is_empty() {
        return Err(KeyError::TextOutsideBlock);
    }
    let after_begin = &text[start + BEGIN.len()..];
    let label_end = after_begin.find(DASHES).ok_or(KeyError::NoPemBlock)?;
    let label = &after_begin[..label_end];
    if label.is_empty() || label.contains('\n') {
        return Err(KeyError::NoPemBlock);
    }
    let rest = &after_begin[label_end + DASHES.len()..];
    let end_line = format!("-----END {label}-----");
    let body_end = rest.find(&end_line).ok_or(KeyError::Unterminated)?;
    if !rest[body_end + end_line.len()..].trim().is_empty() {
        return Err(KeyError::TextOutsideBlock);
    }
    let body = rest[..body_end]
        .split_ascii_whitespace()
        .collect::<String>();
    Ok(Block { label, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PKCS1: &str = include_str!("../../test-keys/rsa2048-a.pkcs1.pem");
    const SPKI: &str = include_str!("../../test-keys/rsa2048-a.spki.pem");

    fn load(text: &str) -> Result<usize, KeyError> {
        PublicKey::from_pem(text).map(|key| key.bits())
    }

    #[test]
    fn accepts_pkcs1_and_spki_of_the_same_key() {
        assert_eq!(load(PKCS1), Ok(2048));
        assert_eq!(load(SPKI), Ok(2048));
        assert_eq!(
            load(include_str!("../../test-keys/rsa4096.pkcs1.pem")),
            Ok(4096)
        );
    }

    #[test]
    fn undoes_what_environment_variables_do_to_pem() {
        let escaped = PKCS1.trim().replace('\n', "\\n");
        let crlf = PKCS1.replace('\n', "\r\n");
        let spaces = PKCS1.trim().replace('\n', " ");
        let cases = [
            escaped.clone(),
            format!("\"{escaped}\""),
            format!("'{}'", PKCS1),
            format!("  \n{PKCS1}\n\n  "),
            crlf,
            spaces,
            PKCS1.trim().replace('\n', "\\r\\n"),
        ];
        for case in cases {
            assert_eq!(load(&case), Ok(2048), "{case:?}");
        }
    }

    #[test]
    fn says_what_is_wrong_with_a_refused_key() {
        let private = include_str!("../../test-keys/rsa2048-a.private.pem");
        let pkcs8 = include_str!("../../test-keys/rsa2048-a.pkcs8-private.pem");
        let cases: &[(&str, KeyError)] = &[
            ("", KeyError::Empty),
            ("  \n ", KeyError::Empty),
            ("\"\"", KeyError::Empty),
            ("not a key", KeyError::NoPemBlock),
            (private, KeyError::PrivateKey),
            (pkcs8, KeyError::PrivateKey),
            (
                include_str!("../../test-keys/rsa2048-a.cert.pem"),
                KeyError::Certificate,
            ),
            (
                include_str!("../../test-keys/ec.spki.pem"),
                KeyError::NotRsa,
            ),
            (
                include_str!("../../test-keys/ed25519.spki.pem"),
                KeyError::NotRsa,
            ),
            (
                include_str!("../../test-keys/rsa1024.pkcs1.pem"),
                KeyError::TooSmall { bits: 1024 },
            ),
            (
                "-----BEGIN RSA PUBLIC KEY-----\nAAAA\n",
                KeyError::Unterminated,
            ),
            (
                "-----BEGIN RSA PUBLIC KEY-----\n!!!!\n-----END RSA PUBLIC KEY-----",
                KeyError::InvalidBase64,
            ),
            (
                "-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----",
                KeyError::InvalidDer,
            ),
            (
                "-----BEGIN EC PUBLIC KEY-----\nAAAA\n-----END EC PUBLIC KEY-----",
                KeyError::UnsupportedLabel {
                    label: "EC PUBLIC KEY".into(),
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(load(text).as_ref(), Err(expected), "{text:?}");
        }
    }

    /// A PKCS#1 PEM for these big-endian numbers (no key anyone holds the private half of:
    /// the shape is what is checked at load time).
    fn pkcs1_pem(modulus: &[u8], exponent: &[u8]) -> String {
        fn element(tag: u8, contents: &[u8]) -> Vec<u8> {
            let mut out = vec![tag];
            match contents.len() {
                len @ 0..0x80 => out.push(len as u8),
                len @ 0x80..0x100 => out.extend([0x81, len as u8]),
                len => out.extend([0x82, (len >> 8) as u8, len as u8]),
            }
            out.extend_from_slice(contents);
            out
        }
        fn integer(number: &[u8]) -> Vec<u8> {
            let mut contents = Vec::new();
            if number[0] & 0x80 != 0 {
                contents.push(0);
            }
            contents.extend_from_slice(number);
            element(0x02, &contents)
        }
        let der = element(0x30, &[integer(modulus), integer(exponent)].concat());
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN RSA PUBLIC KEY-----\n{body}\n-----END RSA PUBLIC KEY-----\n")
    }

    /// An odd modulus of exactly `bits` bits.
    fn modulus(bits: usize) -> Vec<u8> {
        let mut modulus = vec![0xff; bits.div_ceil(8)];
        modulus[0] = 0xff >> (modulus.len() * 8 - bits);
        modulus
    }

    #[test]
    fn sizes_from_2048_to_8192_bits_are_accepted() {
        const F4: &[u8] = &[0x01, 0x00, 0x01];
        for bits in [2048, 2049, 3072, 4096, 8191, 8192] {
            assert_eq!(load(&pkcs1_pem(&modulus(bits), F4)), Ok(bits), "{bits}");
        }
        for bits in [2047, 1024] {
            assert_eq!(
                load(&pkcs1_pem(&modulus(bits), F4)),
                Err(KeyError::TooSmall { bits })
            );
        }
        for bits in [8193, 8200] {
            assert_eq!(
                load(&pkcs1_pem(&modulus(bits), F4)),
                Err(KeyError::TooLarge { bits })
            );
        }
    }

    #[test]
    fn an_even_modulus_or_an_exponent_that_is_even_or_one_is_no_rsa_key() {
        let odd = modulus(2048);
        let mut even = odd.clone();
        *even.last_mut().unwrap() = 0xfe;
        assert_eq!(load(&pkcs1_pem(&odd, &[0x03])), Ok(2048));
        assert_eq!(load(&pkcs1_pem(&odd, &[0x01, 0x00, 0x01])), Ok(2048));
        for (modulus, exponent) in [
            (&even, &[0x01, 0x00, 0x01][..]),
            (&odd, &[0x01, 0x00, 0x00][..]),
            (&odd, &[0x02][..]),
            (&odd, &[0x01][..]),
            (&even, &[0x02][..]),
        ] {
            assert_eq!(
                load(&pkcs1_pem(modulus, exponent)),
                Err(KeyError::InvalidDer),
                "exponent {exponent:?}"
            );
        }
    }

    #[test]
    fn debug_shows_the_size_and_no_key_material() {
        let key = PublicKey::from_pem(PKCS1).unwrap();
        assert_eq!(format!("{key:?}"), "PublicKey { bits: 2048, .. }");
    }

    #[test]
    fn every_error_says_what_is_wrong() {
        let cases = [
            (KeyError::Missing, "no public key is set"),
            (KeyError::Empty, "the public key is empty"),
            (
                KeyError::NoPemBlock,
                "not a PEM key: no `-----BEGIN ...-----` line",
            ),
            (
                KeyError::MultiplePemBlocks { count: 2 },
                "2 PEM blocks found; give exactly one public key",
            ),
            (
                KeyError::NotRsa,
                "not an RSA key; tokens are signed with RS256",
            ),
            (
                KeyError::TooSmall { bits: 1024 },
                "the RSA key has 1024 bits; at least 2048 are required",
            ),
            (
                KeyError::TooLarge { bits: 9000 },
                "the RSA key has 9000 bits; at most 8192 are supported",
            ),
            (
                KeyError::UnsupportedLabel {
                    label: "EC PUBLIC KEY".into(),
                },
                "unsupported PEM block `EC PUBLIC KEY`; expected `RSA PUBLIC KEY` or `PUBLIC KEY`",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
        }
    }

    #[test]
    fn refuses_anything_but_exactly_one_block() {
        let two = format!("{PKCS1}{SPKI}");
        assert_eq!(load(&two), Err(KeyError::MultiplePemBlocks { count: 2 }));
        assert_eq!(
            load(&format!("garbage\n{PKCS1}")),
            Err(KeyError::TextOutsideBlock)
        );
        assert_eq!(
            load(&format!("{PKCS1}\ngarbage")),
            Err(KeyError::TextOutsideBlock)
        );
        let mismatched = PKCS1.replace("END RSA PUBLIC KEY", "END PUBLIC KEY");
        assert_eq!(load(&mismatched), Err(KeyError::Unterminated));
    }

    #[test]
    fn a_block_needs_a_label_on_one_line() {
        assert_eq!(
            load("-----BEGIN -----\nAAAA\n-----END -----"),
            Err(KeyError::NoPemBlock)
        );
        assert_eq!(
            load("-----BEGIN RSA\nPUBLIC KEY-----\nAAAA\n-----END RSA\nPUBLIC KEY-----"),
            Err(KeyError::NoPemBlock)
        );
    }

    #[test]
    fn a_blank_line_inside_the_body_is_tolerated() {
        let with_blank = PKCS1.replacen('\n', "\n\n", 2);
        assert_eq!(load(&with_blank), Ok(2048));
    }

    #[test]
    fn messages_never_contain_key_material() {
        let body_line = PKCS1.lines().nth(1).unwrap();
        let broken = PKCS1.replace("-----END RSA PUBLIC KEY-----", "");
        let message = PublicKey::from_pem(&broken).unwrap_err().to_string();
        assert!(!message.contains(body_line), "{message}");
        assert!(!format!("{:?}", PublicKey::from_pem(PKCS1).unwrap()).contains(body_line));
    }
}

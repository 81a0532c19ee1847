//! A test RSA key pair: generated, or loaded from PEM, exported as PEM.

use std::fmt;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::testing::token::TokenBuilder;
use crate::{PublicKey, Verifier, VerifierBuilder};

/// An RSA key pair for signing test tokens.
pub struct KeyPair {
    inner: RsaKeyPair,
}

/// Why a key pair could not be made or loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyPairError {
    /// Only 2048, 3072 and 4096 bits are offered.
    UnsupportedSize(usize),
    /// The generator failed.
    Generation,
    /// The text is not a PEM RSA private key (`RSA PRIVATE KEY` or `PRIVATE KEY`).
    NotAPrivateKey,
    /// The private key was refused (malformed, or smaller than 2048 bits).
    Rejected(String),
}

impl fmt::Display for KeyPairError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsupportedSize(bits) => {
                write!(f, "{bits}-bit keys are not offered; use 2048, 3072 or 4096")
            }
            Self::Generation => f.write_str("the RSA key generator failed"),
            Self::NotAPrivateKey => f.write_str(
                "not a PEM RSA private key (`BEGIN RSA PRIVATE KEY` or `BEGIN PRIVATE KEY`)",
            ),
            Self::Rejected(why) => write!(f, "the private key was refused: {why}"),
        }
    }
}

impl std::error::Error for KeyPairError {}

impl KeyPair {
    /// A fresh 4096-bit key pair, the size the platform uses.
    ///
    /// Generating one takes a moment (about a second in a release build, several in a debug
    /// one); tests that make many keys can ask for [`generate_with_bits(2048)`](Self::generate_with_bits).
    pub fn generate() -> Self {
        Self::generate_with_bits(4096).expect("4096-bit RSA key generation")
    }

    /// A fresh key pair of 2048, 3072 or 4096 bits.
    pub fn generate_with_bits(bits: usize) -> Result<Self, KeyPairError> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            other => return Err(KeyPairError::UnsupportedSize(other)),
        };
        let inner = RsaKeyPair::generate(size).map_err(|_| KeyPairError::Generation)?;
        Ok(Self { inner })
    }

    /// Loads a private key from PEM: PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`),
    /// forgiving what environment variables do to PEM as [`PublicKey::from_pem`] is.
    pub fn from_private_pem(text: &str) -> Result<Self, KeyPairError> {
        let (label, der) =
            crate::verification::key::decode_pem(text).map_err(|_| KeyPairError::NotAPrivateKey)?;
        let inner = match label.as_str() {
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            _ => return Err(KeyPairError::NotAPrivateKey),
        }
        .map_err(|e| KeyPairError::Rejected(e.to_string()))?;
        Ok(Self { inner })
    }

    /// The size of the modulus in bits.
    pub fn bits(&self) -> usize {
        self.inner.public_modulus_len() * 8
    }

    /// The public key as the platform injects it: PKCS#1 PEM (`BEGIN RSA PUBLIC KEY`).
    pub fn public_pem(&self) -> String {
        encode_pem("RSA PUBLIC KEY", self.inner.public_key().as_ref())
    }

    /// The public key as SPKI PEM (`BEGIN PUBLIC KEY`).
    pub fn public_spki_pem(&self) -> String {
        let der: PublicKeyX509Der<'static> =
            self.inner.public_key().as_der().expect("SPKI encoding");
        encode_pem("PUBLIC KEY", der.as_ref())
    }

    /// The private key as PKCS#8 PEM (`BEGIN PRIVATE KEY`). Keep it out of version control.
    pub fn private_pem(&self) -> String {
        let der: Pkcs8V1Der<'static> = self.inner.as_der().expect("PKCS#8 encoding");
        encode_pem("PRIVATE KEY", der.as_ref())
    }

    /// The public key, loaded as the verifier loads it.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_pem(&self.public_pem()).expect("a generated key loads")
    }

    /// A verifier builder that trusts this key, to add ids and rules to.
    pub fn verifier_builder(&self) -> VerifierBuilder {
        Verifier::builder().public_key(self.public_key())
    }

    /// A verifier that trusts this key, for container `container_id` of namespace
    /// `namespace_id`, with the default rules. The process environment plays no part.
    pub fn verifier(&self, namespace_id: &str, container_id: &str) -> Verifier {
        self.verifier_builder()
            .namespace_id(namespace_id)
            .container_id(container_id)
            .build()
            .expect("ids are given and the key is valid")
    }

    /// Signs exactly the JSON texts given, RS256, for tokens no builder would make (duplicate
    /// members, odd numbers, malformed claims): `base64url(header).base64url(payload).signature`.
    pub fn sign_raw(&self, header: &str, payload: &str) -> String {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let mut signature = vec![0; self.inner.public_modulus_len()];
        self.inner
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                input.as_bytes(),
                &mut signature,
            )
            .expect("RSA signing");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// Starts a token signed by this key.
    pub fn token(&self) -> TokenBuilder<'_> {
        TokenBuilder::new(self)
    }

    pub(crate) fn rsa(&self) -> &RsaKeyPair {
        &self.inner
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

fn encode_pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_export_pem_the_verifier_loads() {
        let keys = KeyPair::generate_with_bits(2048).unwrap();
        assert_eq!(keys.bits(), 2048);
        assert!(
            keys.public_pem()
                .starts_with("-----BEGIN RSA PUBLIC KEY-----\n")
        );
        assert_eq!(
            PublicKey::from_pem(&keys.public_pem()).unwrap().bits(),
            2048
        );
        assert_eq!(
            PublicKey::from_pem(&keys.public_spki_pem()).unwrap().bits(),
            2048
        );
        assert_eq!(
            PublicKey::from_pem(&keys.private_pem()).unwrap_err(),
            crate::KeyError::PrivateKey,
            "the private half is never accepted as the verifier key"
        );
    }

    #[test]
    fn private_pem_round_trips_and_fixtures_load() {
        let keys = KeyPair::generate_with_bits(2048).unwrap();
        let again = KeyPair::from_private_pem(&keys.private_pem()).unwrap();
        assert_eq!(again.public_pem(), keys.public_pem());
        let fixture =
            KeyPair::from_private_pem(include_str!("../../test-keys/rsa2048-a.private.pem"))
                .unwrap();
        assert_eq!(
            fixture.public_pem().trim(),
            include_str!("../../test-keys/rsa2048-a.pkcs1.pem").trim()
        );
    }

    #[test]
    fn refuses_what_is_not_a_private_key() {
        assert_eq!(
            KeyPair::from_private_pem("nonsense").unwrap_err(),
            KeyPairError::NotAPrivateKey
        );
        let public = include_str!("../../test-keys/rsa2048-a.pkcs1.pem");
        assert_eq!(
            KeyPair::from_private_pem(public).unwrap_err(),
            KeyPairError::NotAPrivateKey
        );
        assert_eq!(
            KeyPair::generate_with_bits(1024).unwrap_err(),
            KeyPairError::UnsupportedSize(1024)
        );
    }

    #[test]
    fn four_thousand_and_ninety_six_bits_by_default_like_the_platform() {
        let keys = KeyPair::generate();
        assert_eq!(keys.bits(), 4096);
        assert_eq!(keys.public_key().bits(), 4096);
        assert!(
            keys.public_pem()
                .starts_with("-----BEGIN RSA PUBLIC KEY-----\n")
        );
    }
}

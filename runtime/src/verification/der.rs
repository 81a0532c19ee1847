//! Just enough DER to read an RSA public key, strictly.
//!
//! The key arrives through an environment variable that people paste by hand, so it is
//! worth knowing exactly what it holds before trusting it: `jsonwebtoken` would accept a
//! private key or a certificate here and then fail every request with a bad signature.

/// Object identifier `1.2.840.113549.1.1.1` (rsaEncryption), DER contents only.
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_NULL: u8 = 0x05;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;

/// What is wrong with a DER structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DerError {
    /// Not the structure of an RSA public key.
    Malformed,
    /// A well-formed SubjectPublicKeyInfo for another algorithm.
    NotRsa,
}

/// An RSA public key: big-endian modulus and exponent without leading zeros.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RsaComponents<'a> {
    pub(crate) modulus: &'a [u8],
    pub(crate) exponent: &'a [u8],
}

impl RsaComponents<'_> {
    /// Size of the modulus in bits.
    pub(crate) fn bits(&self) -> usize {
        match self.modulus.first() {
            Some(first) => self.modulus.len() * 8 - first.leading_zeros() as usize,
            None => 0,
        }
    }
}

/// Reads a PKCS#1 `RSAPublicKey`: `SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
pub(crate) fn pkcs1(der: &[u8]) -> Result<RsaComponents<'_>, DerError> {
    let mut outer = Reader::new(der);
    let mut seq = Reader::new(outer.expect(TAG_SEQUENCE)?);
    outer.finish()?;
    let modulus = positive_integer(seq.expect(TAG_INTEGER)?)?;
    let exponent = positive_integer(seq.expect(TAG_INTEGER)?)?;
    seq.finish()?;
    Ok(RsaComponents { modulus, exponent })
}

/// Reads an X.509 `SubjectPublicKeyInfo` and returns the PKCS#1 key inside it.
///
/// `SEQUENCE { SEQUENCE { algorithm OID, parameters NULL }, subjectPublicKey BIT STRING }`
pub(crate) fn spki_to_pkcs1(der: &[u8]) -> Result<&[u8], DerError> {
    let mut outer = Reader::new(der);
    let mut seq = Reader::new(outer.expect(TAG_SEQUENCE)?);
    outer.finish()?;
    let mut algorithm = Reader::new(seq.expect(TAG_SEQUENCE)?);
    let oid = algorithm.expect(TAG_OID)?;
    if oid != RSA_ENCRYPTION {
        return Err(DerError::NotRsa);
    }
    // RFC 3279: the parameters of rsaEncryption are NULL. Some encoders omit them.
    if !algorithm.is_empty() && !algorithm.expect(TAG_NULL)?.is_empty() {
        return Err(DerError::Malformed);
    }
    algorithm.finish()?;
    let bits = seq.expect(TAG_BIT_STRING)?;
    seq.finish()?;
    match bits.split_first() {
        // The first octet counts the unused bits of the last one; a key uses them all.
        Some((0, key)) => Ok(key),
        _ => Err(DerError::Malformed),
    }
}

/// A DER INTEGER that must be positive and minimally encoded; returns it without its sign octet.
fn positive_integer(contents: &[u8]) -> Result<&[u8], DerError> {
    match contents {
        [] => Err(DerError::Malformed),
        [first, ..] if first & 0x80 != 0 => Err(DerError::Malformed),
        [0, rest @ ..] => match rest.first() {
            Some(next) if next & 0x80 != 0 => Ok(rest),
            // A zero octet in front of one that does not need it, or the number zero.
            _ => Err(DerError::Malformed),
        },
        _ => Ok(contents),
    }
}

/// A cursor over consecutive DER elements.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn finish(&self) -> Result<(), DerError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DerError::Malformed)
        }
    }

    /// Reads one element with the given tag and returns its contents.
    fn expect(&mut self, tag: u8) -> Result<&'a [u8], DerError> {
        let (&found, rest) = self.rest.split_first().ok_or(DerError::Malformed)?;
        if found != tag {
            return Err(DerError::Malformed);
        }
        let (len, rest) = length(rest)?;
        if rest.len() < len {
            return Err(DerError::Malformed);
        }
        let (contents, rest) = rest.split_at(len);
        self.rest = rest;
        Ok(contents)
    }
}

/// Reads a definite, minimally encoded DER length.
fn length(input: &[u8]) -> Result<(usize, &[u8]), DerError> {
    let (&first, rest) = input.split_first().ok_or(DerError::Malformed)?;
    if first < 0x80 {
        return Ok((usize::from(first), rest));
    }
    let count = usize::from(first & 0x7f);
    // 0x80 is the indefinite form (BER only); more than 3 octets would be a 16 MiB key.
    if count == 0 || count > 3 || rest.len() < count {
        return Err(DerError::Malformed);
    }
    let (octets, rest) = rest.split_at(count);
    if octets[0] == 0 {
        return Err(DerError::Malformed);
    }
    let len = octets
        .iter()
        .fold(0usize, |len, &b| (len << 8) | usize::from(b));
    if len < 0x80 {
        return Err(DerError::Malformed);
    }
    Ok((len, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_minimal_pkcs1_key() {
        // SEQUENCE { INTEGER 0x00c5, INTEGER 0x010001 }
        let der = [
            0x30, 0x09, 0x02, 0x02, 0x00, 0xc5, 0x02, 0x03, 0x01, 0x00, 0x01,
        ];
        let key = pkcs1(&der).unwrap();
        assert_eq!(key.modulus, &[0xc5]);
        assert_eq!(key.exponent, &[0x01, 0x00, 0x01]);
        assert_eq!(key.bits(), 8);
    }

    #[test]
    fn refuses_non_minimal_and_negative_integers() {
        assert_eq!(positive_integer(&[0x00, 0x45]), Err(DerError::Malformed));
        assert_eq!(positive_integer(&[0x85]), Err(DerError::Malformed));
        assert_eq!(positive_integer(&[0x00]), Err(DerError::Malformed));
        assert_eq!(positive_integer(&[]), Err(DerError::Malformed));
        assert_eq!(positive_integer(&[0x00, 0x85]), Ok(&[0x85][..]));
    }

    #[test]
    fn refuses_trailing_bytes_and_short_input() {
        let der = [
            0x30, 0x09, 0x02, 0x02, 0x00, 0xc5, 0x02, 0x03, 0x01, 0x00, 0x01, 0x00,
        ];
        assert_eq!(pkcs1(&der), Err(DerError::Malformed));
        assert_eq!(pkcs1(&der[..9]), Err(DerError::Malformed));
    }

    #[test]
    fn refuses_non_minimal_and_indefinite_lengths() {
        assert_eq!(length(&[0x81, 0x05]), Err(DerError::Malformed));
        assert_eq!(length(&[0x82, 0x00, 0x80]), Err(DerError::Malformed));
        assert_eq!(length(&[0x80]), Err(DerError::Malformed));
        assert_eq!(length(&[0x81, 0x80]).map(|(len, _)| len), Ok(0x80));
    }

    #[test]
    fn lengths_take_one_to_three_octets_and_leave_the_rest() {
        assert_eq!(length(&[0x05, 0xaa]), Ok((5, &[0xaa][..])));
        assert_eq!(length(&[0x7f]), Ok((0x7f, &[][..])));
        assert_eq!(length(&[0x81, 0xff, 0xaa]), Ok((0xff, &[0xaa][..])));
        assert_eq!(length(&[0x82, 0x01, 0x00]), Ok((0x100, &[][..])));
        assert_eq!(length(&[0x82, 0x12, 0x34, 0xaa]), Ok((0x1234, &[0xaa][..])));
        assert_eq!(length(&[0x83, 0x01, 0x00, 0x00]), Ok((0x1_0000, &[][..])));
        // Four octets: a key of 16 MiB or more is no key.
        assert_eq!(
            length(&[0x84, 0x01, 0x00, 0x00, 0x00]),
            Err(DerError::Malformed)
        );
        // Fewer octets than announced.
        assert_eq!(length(&[0x82, 0x01]), Err(DerError::Malformed));
        assert_eq!(length(&[0x81]), Err(DerError::Malformed));
        assert_eq!(length(&[]), Err(DerError::Malformed));
        // A leading zero octet is not minimal.
        assert_eq!(length(&[0x82, 0x00, 0xff]), Err(DerError::Malformed));
    }

    #[test]
    fn an_element_longer_than_its_input_is_malformed() {
        // SEQUENCE of length 4 with 3 octets of contents, then exactly 4.
        assert_eq!(
            Reader::new(&[0x30, 0x04, 0x01, 0x02, 0x03]).expect(TAG_SEQUENCE),
            Err(DerError::Malformed)
        );
        let mut reader = Reader::new(&[0x30, 0x04, 0x01, 0x02, 0x03, 0x04, 0x05]);
        assert_eq!(
            reader.expect(TAG_SEQUENCE),
            Ok(&[0x01, 0x02, 0x03, 0x04][..])
        );
        assert!(!reader.is_empty());
        assert_eq!(reader.finish(), Err(DerError::Malformed));
        assert_eq!(
            Reader::new(&[0x02, 0x01, 0x05]).expect(TAG_SEQUENCE),
            Err(DerError::Malformed),
            "another tag"
        );
    }

    #[test]
    fn bits_count_from_the_first_set_bit() {
        let bits = |modulus: &[u8]| {
            RsaComponents {
                modulus,
                exponent: &[3],
            }
            .bits()
        };
        assert_eq!(bits(&[]), 0);
        assert_eq!(bits(&[0x01]), 1);
        assert_eq!(bits(&[0x80]), 8);
        assert_eq!(bits(&[0x01, 0x00]), 9);
        assert_eq!(bits(&[0x7f, 0xff, 0xff]), 23);
    }

    #[test]
    fn spki_parameters_are_null_or_omitted_and_nothing_else() {
        // SEQUENCE { SEQUENCE { OID rsaEncryption [, params] }, BIT STRING { 00, key } }
        let key = [0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x03];
        let spki = |params: &[u8]| {
            let mut algorithm = vec![0x06, 0x09];
            algorithm.extend_from_slice(RSA_ENCRYPTION);
            algorithm.extend_from_slice(params);
            let mut inner = vec![0x30, u8::try_from(algorithm.len()).unwrap()];
            inner.extend(algorithm);
            inner.extend([0x03, u8::try_from(key.len() + 1).unwrap(), 0x00]);
            inner.extend(key);
            let mut der = vec![0x30, u8::try_from(inner.len()).unwrap()];
            der.extend(inner);
            der
        };
        assert_eq!(
            spki_to_pkcs1(&spki(&[0x05, 0x00])),
            Ok(&key[..]),
            "NULL parameters"
        );
        assert_eq!(
            spki_to_pkcs1(&spki(&[])),
            Ok(&key[..]),
            "parameters omitted"
        );
        assert_eq!(
            spki_to_pkcs1(&spki(&[0x05, 0x01, 0x00])),
            Err(DerError::Malformed),
            "a NULL with contents"
        );
        assert_eq!(
            spki_to_pkcs1(&spki(&[0x02, 0x01, 0x00])),
            Err(DerError::Malformed),
            "parameters that are not NULL"
        );
        assert_eq!(
            spki_to_pkcs1(&spki(&[0x05, 0x00, 0x05, 0x00])),
            Err(DerError::Malformed),
            "more than the parameters"
        );
    }

    #[test]
    fn spki_with_another_algorithm_is_not_rsa() {
        // SEQUENCE { SEQUENCE { OID 1.3.101.112 (Ed25519) }, BIT STRING 00 }
        let der = [
            0x30, 0x0a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x01, 0x00,
        ];
        assert_eq!(spki_to_pkcs1(&der), Err(DerError::NotRsa));
    }
}

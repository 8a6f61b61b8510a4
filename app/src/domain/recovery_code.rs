//! Recovery codes: 80 random bits each, written as four groups of four
//! characters of RFC 4648 base32, which has no 0, 1 or 8; so a 0, 1 or 8
//! typed for O, I or B is read as meant.

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// 16 base32 characters carry 80 bits.
pub const CODE_CHARS: usize = 16;
pub const CODES_PER_SET: usize = 10;

/// Turns 10 random bytes into a code such as `K7PQ-2M4D-XV3A-T3NE`.
pub fn format_code(random: &[u8; 10]) -> String {
    let mut bits: u128 = 0;
    for byte in random {
        bits = (bits << 8) | u128::from(*byte);
    }
    let chars: Vec<char> = (0..CODE_CHARS)
        .rev()
        .map(|index| {
            char::from(ALPHABET[usize::try_from((bits >> (index * 5)) & 0x1f).unwrap_or(0)])
        })
        .collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The canonical form of a typed code (upper case, no separators), if it
/// looks like a recovery code at all.
pub fn normalize(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            '0' => 'O',
            '1' => 'I',
            '8' => 'B',
            other => other,
        })
        .collect();
    (code.len() == CODE_CHARS && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_four_groups_of_four() {
        let code = format_code(&[0xff; 10]);
        assert_eq!(code, "7777-7777-7777-7777");
        assert_eq!(format_code(&[0; 10]), "AAAA-AAAA-AAAA-AAAA");
        let mixed = format_code(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(mixed.len(), 19);
        assert_eq!(normalize(&mixed).unwrap().len(), CODE_CHARS);
    }

    #[test]
    fn typed_codes_are_normalised() {
        assert_eq!(
            normalize(" k7pq-2m4d xv3a-t3ne ").as_deref(),
            Some("K7PQ2M4DXV3AT3NE")
        );
        assert_eq!(normalize("K7PQ-2M4D-XV3A-T3N"), None);
        assert_eq!(
            normalize("K7PQ-2M4D-XV3A-T3N9"),
            None,
            "9 is not in the alphabet"
        );
        assert_eq!(
            normalize("k7pq-2m4d-xv3a-t301").as_deref(),
            Some("K7PQ2M4DXV3AT3OI"),
            "0 and 1 are read as O and I"
        );
    }
}

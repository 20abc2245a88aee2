//! The quantity grammar (apimachinery `parseQuantityString` + `ParseQuantity`), computed with
//! decimal digit strings so that any length of input is exact before rounding to nanounits.

use super::{Format, MAX_PARSED_NANOS, NANOS_PER_UNIT, Quantity, QuantityError};

/// What the suffix multiplies the number by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Multiplier {
    /// × 10^n
    Decimal(i32),
    /// × 2^n
    Binary(u32),
}

pub(super) fn parse(input: &str) -> Result<Quantity, QuantityError> {
    if input.is_empty() {
        return Err(QuantityError::Empty);
    }
    let trimmed = input.trim();
    if trimmed.len() != input.len() {
        return Err(QuantityError::Whitespace {
            input: input.to_owned(),
            trimmed: trimmed.to_owned(),
        });
    }

    let bytes = input.as_bytes();
    let mut pos = 0;
    let negative = match bytes[0] {
        b'-' => {
            pos = 1;
            true
        }
        b'+' => {
            pos = 1;
            false
        }
        _ => false,
    };
    let int_start = pos;
    while pos < bytes.len() && bytes[pos].is_ascii_digit() {
        pos += 1;
    }
    let int_digits = &bytes[int_start..pos];
    let mut frac_digits: &[u8] = &[];
    if pos < bytes.len() && bytes[pos] == b'.' {
        pos += 1;
        let frac_start = pos;
        while pos < bytes.len() && bytes[pos].is_ascii_digit() {
            pos += 1;
        }
        frac_digits = &bytes[frac_start..pos];
    }
    let suffix = &input[pos..];
    let interpreted = interpret_suffix(input, suffix, pos);

    if int_digits.is_empty() && frac_digits.is_empty() {
        // `Gi`, `+`, `.`: ParseQuantity reads these as 0; anything else without digits is not a
        // quantity at all.
        return Err(match interpreted {
            Ok(_) => QuantityError::MissingNumber {
                input: input.to_owned(),
            },
            Err(_) => QuantityError::NotANumber {
                input: input.to_owned(),
            },
        });
    }
    let (multiplier, mut format) = interpreted?;

    let magnitude = match magnitude_nanos(int_digits, frac_digits, multiplier) {
        Some(n) if n <= MAX_PARSED_NANOS as u128 => n as i128,
        // ParseQuantity caps binary amounts at 2^63-1 (`maxAllowed`) silently.
        _ if format == Format::BinarySI => MAX_PARSED_NANOS,
        _ => {
            return Err(QuantityError::TooLarge {
                input: input.to_owned(),
            });
        }
    };
    // A binary amount strictly between 0 and 1 cannot be written in binary units.
    if format == Format::BinarySI && magnitude > 0 && magnitude < NANOS_PER_UNIT {
        format = Format::DecimalSI;
    }
    let nanos = if negative { -magnitude } else { magnitude };
    Ok(Quantity::from_nanos(nanos, format))
}

fn interpret_suffix(
    input: &str,
    suffix: &str,
    offset: usize,
) -> Result<(Multiplier, Format), QuantityError> {
    use Multiplier::{Binary, Decimal};
    let decimal = |n| Ok((Decimal(n), Format::DecimalSI));
    let binary = |n| Ok((Binary(n), Format::BinarySI));
    match suffix {
        "" => return decimal(0),
        "n" => return decimal(-9),
        "u" => return decimal(-6),
        "m" => return decimal(-3),
        "k" => return decimal(3),
        "M" => return decimal(6),
        "G" => return decimal(9),
        "T" => return decimal(12),
        "P" => return decimal(15),
        "E" => return decimal(18),
        "Ki" => return binary(10),
        "Mi" => return binary(20),
        "Gi" => return binary(30),
        "Ti" => return binary(40),
        "Pi" => return binary(50),
        "Ei" => return binary(60),
        _ => {}
    }
    if let Some((i, found)) = suffix
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '+' || *c == '-'))
    {
        return Err(QuantityError::UnexpectedChar {
            input: input.to_owned(),
            found,
            at: offset + i,
            hint: unexpected_char_hint(found),
        });
    }
    if let Some(exponent) = suffix.strip_prefix(['e', 'E']) {
        let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(QuantityError::BadExponent {
                input: input.to_owned(),
                suffix: suffix.to_owned(),
            });
        }
        // Kubernetes parses an int64 and then truncates it to int32 (so `1e4294967296` would be
        // 1); we refuse anything outside int32 instead of wrapping.
        return match exponent.parse::<i32>() {
            Ok(n) => Ok((Decimal(n), Format::DecimalExponent)),
            Err(_) => Err(QuantityError::ExponentOutOfRange {
                input: input.to_owned(),
            }),
        };
    }
    Err(QuantityError::UnknownSuffix {
        input: input.to_owned(),
        suffix: suffix.to_owned(),
        hint: suffix_hint(suffix),
    })
}

fn unexpected_char_hint(c: char) -> &'static str {
    match c {
        '.' => "a quantity has at most one decimal point and its exponent is an integer",
        ',' => "use '.' as the decimal separator and no digit grouping, e.g. \"1.5\" or \"1500m\"",
        '_' | '\'' => "digit separators are not allowed, write \"1000000\" or \"1M\"",
        c if c.is_whitespace() => "no spaces inside a quantity: write \"1Gi\", not \"1 Gi\"",
        _ => "a quantity is a number followed by one suffix, e.g. \"500m\", \"1.5Gi\" or \"1e3\"",
    }
}

const VALID_SUFFIXES: &str = "valid suffixes are n u m k M G T P E (powers of 1000), \
                              Ki Mi Gi Ti Pi Ei (powers of 1024), or an exponent such as e3 or e-3";

/// A suggestion for the common misspellings of a suffix.
fn suffix_hint(suffix: &str) -> String {
    // Byte units: `GB`, `GiB`, `kb`...
    if let Some(stem) = suffix.strip_suffix(['B', 'b']) {
        let letter = stem.chars().next().map(|c| c.to_ascii_uppercase());
        if let Some(letter @ ('K' | 'M' | 'G' | 'T' | 'P' | 'E')) = letter {
            let decimal = if letter == 'K' {
                "k".to_owned()
            } else {
                letter.to_string()
            };
            if stem.len() == 2 && stem.ends_with(['i', 'I']) {
                return format!("quantities have no byte unit: write \"{letter}i\"");
            }
            if stem.len() == 1 {
                return format!(
                    "quantities have no byte unit: write \"{decimal}\" (powers of 1000) or \
                     \"{letter}i\" (powers of 1024)"
                );
            }
        }
    }
    match suffix {
        "K" => "kilo is a lowercase \"k\" (1000); kibi is \"Ki\" (1024)".to_owned(),
        "ki" | "kI" | "KI" => {
            "kibi (1024) is written \"Ki\"; a lowercase \"k\" alone is decimal kilo (1000)"
                .to_owned()
        }
        "mi" | "gi" | "ti" | "pi" | "ei" | "MI" | "GI" | "TI" | "PI" | "EI" | "mI" | "gI"
        | "tI" | "pI" | "eI" => {
            let mut chars = suffix.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase()).unwrap_or('?');
            format!(
                "binary suffixes are a capital letter and a lowercase i: \"{first}i\" \
                 (\"m\" alone is milli)"
            )
        }
        "g" | "t" | "p" => format!(
            "decimal suffixes above kilo are capitals: \"{}\" (or \"{}i\" for powers of 1024)",
            suffix.to_ascii_uppercase(),
            suffix.to_ascii_uppercase()
        ),
        "N" | "U" => format!(
            "nano and micro are lowercase: \"{}\"",
            suffix.to_ascii_lowercase()
        ),
        _ => VALID_SUFFIXES.to_owned(),
    }
}

/// The magnitude of `int.frac × multiplier` in nanounits, rounded up to an integer the way
/// `ParseQuantity` rounds (`inf.RoundUp` at scale 9: any non-zero remainder adds one).
/// `None` when it does not fit a `u128`.
fn magnitude_nanos(int_digits: &[u8], frac_digits: &[u8], multiplier: Multiplier) -> Option<u128> {
    // Significant digits, most significant first, as values 0..=9.
    let mut digits: Vec<u8> = int_digits
        .iter()
        .chain(frac_digits)
        .map(|b| b - b'0')
        .skip_while(|&d| d == 0)
        .collect();
    if digits.is_empty() {
        return Some(0);
    }
    // value = digits × 10^exp10 × 2^pow2 nanounits. Lengths are bounded by the input length, so
    // the i64 arithmetic here cannot overflow for any string that fits in memory.
    let (decimal_exp, pow2) = match multiplier {
        Multiplier::Decimal(e) => (i64::from(e), 0),
        Multiplier::Binary(p) => (0, p),
    };
    let mut exp10 = decimal_exp - frac_digits.len() as i64 + 9;
    while digits.last() == Some(&0) {
        digits.pop();
        exp10 += 1;
    }
    if pow2 > 0 {
        multiply_by_pow2(&mut digits, pow2);
    }

    if exp10 >= 0 {
        // u128::MAX has 39 digits.
        if digits.len() as i64 + exp10 > 39 {
            return None;
        }
        let n = digits_to_u128(&digits)?;
        // exp10 <= 39 here, so the cast is lossless.
        n.checked_mul(10u128.checked_pow(exp10 as u32)?)
    } else {
        let cut = exp10.unsigned_abs();
        if cut >= digits.len() as u64 {
            // Everything is fraction, and it is not zero: the smallest non-zero amount.
            return Some(1);
        }
        let split = digits.len() - cut as usize;
        let (whole, fraction) = digits.split_at(split);
        let n = digits_to_u128(whole)?;
        if fraction.iter().any(|&d| d != 0) {
            n.checked_add(1)
        } else {
            Some(n)
        }
    }
}

/// `digits *= 2^pow2` in place (`pow2 <= 60`, so a digit times 2^pow2 plus carry fits u128).
fn multiply_by_pow2(digits: &mut Vec<u8>, pow2: u32) {
    let factor: u128 = 1 << pow2;
    let mut carry: u128 = 0;
    for d in digits.iter_mut().rev() {
        let t = u128::from(*d) * factor + carry;
        *d = (t % 10) as u8;
        carry = t / 10;
    }
    let mut head = Vec::new();
    while carry > 0 {
        head.push((carry % 10) as u8);
        carry /= 10;
    }
    head.reverse();
    digits.splice(0..0, head);
}

fn digits_to_u128(digits: &[u8]) -> Option<u128> {
    digits.iter().try_fold(0u128, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u128::from(d))
    })
}

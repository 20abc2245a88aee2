//! Kubernetes resource quantities (`500m`, `1.5Gi`, `1e3`), held exactly.
//!
//! The grammar and every rounding rule follow apimachinery's `resource.Quantity`
//! (`k8s.io/apimachinery/pkg/api/resource/quantity.go`): an optional sign, digits with an optional
//! fraction, and a binary (`Ki`…`Ei`), decimal (`n u m "" k M G T P E`) or exponent (`e3`, `E-3`)
//! suffix. Values finer than a nanounit are rounded up (away from zero) to one, exactly as
//! `ParseQuantity` does, so a [`Quantity`] is an integer count of nanounits.
//!
//! # Representation and limits
//!
//! A quantity is an `i128` number of nanounits plus the [`Format`] it was written in (the format
//! only matters for [`Quantity::canonical`], as in Kubernetes; equality and ordering look at the
//! value alone). Parsing accepts magnitudes up to 2^63-1 units ([`MAX_UNITS`]), the bound the
//! `Quantity` documentation states and the range of its `int64` accessors (`Value()`):
//!
//! - binary-suffixed values above it are capped to it, as `ParseQuantity` caps them (`9Ei`);
//! - decimal values above it (`12E`, `1e19`) are rejected with [`QuantityError::TooLarge`].
//!   Kubernetes stores those as big decimals but its `Value()`/`MilliValue()` then overflow, so
//!   the scheduler and quota code would see garbage; refusing is the only honest answer.
//!
//! 2^63-1 units is ~9.2e27 nanounits, so `i128` (~1.7e38) leaves a factor of ~1.8e10 for sums and
//! replica multiplications; arithmetic is checked and reports [`QuantityError::Overflow`].
//! [`Quantity::milli_ceil`] and [`Quantity::value_ceil`] return `i128` and cannot overflow.

mod format;
mod parse;

pub use format::human_amount;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// Nanounits in one unit (one core, one byte, one pod).
pub const NANOS_PER_UNIT: i128 = 1_000_000_000;
/// Nanounits in one milliunit.
pub const NANOS_PER_MILLI: i128 = 1_000_000;
/// Largest magnitude (in units) a parsed quantity may have: 2^63-1, see the module docs.
pub const MAX_UNITS: i128 = i64::MAX as i128;
const MAX_PARSED_NANOS: i128 = MAX_UNITS * NANOS_PER_UNIT;

/// How a quantity was written; decides how [`Quantity::canonical`] prints it (apimachinery
/// `Format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// `12M`, `500m`, `2` — powers of 1000 with SI suffixes.
    #[default]
    DecimalSI,
    /// `12Mi` — powers of 1024.
    BinarySI,
    /// `12e6` — a decimal exponent.
    DecimalExponent,
}

/// An exact resource quantity. See the module docs for the representation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quantity {
    nanos: i128,
    format: Format,
}

/// Why a string is not a quantity, or why arithmetic could not be done exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error(
        "empty quantity: expected a number with an optional suffix, e.g. \"500m\", \"2\", \"1Gi\""
    )]
    Empty,
    #[error("quantity {input:?} has leading or trailing whitespace: write {trimmed:?}")]
    Whitespace { input: String, trimmed: String },
    #[error(
        "quantity {input:?} has no digits: write a number before the suffix, e.g. \"1Gi\" or \"500m\" \
         (Kubernetes would silently read this as 0, which is almost always a templating mistake)"
    )]
    MissingNumber { input: String },
    #[error(
        "{input:?} is not a quantity: expected a number with an optional suffix, e.g. \"500m\", \
         \"2\", \"1.5Gi\" or \"1e3\""
    )]
    NotANumber { input: String },
    #[error("quantity {input:?}: unexpected {found:?} at byte {at}: {hint}")]
    UnexpectedChar {
        input: String,
        found: char,
        at: usize,
        hint: &'static str,
    },
    #[error("quantity {input:?}: unknown suffix {suffix:?}: {hint}")]
    UnknownSuffix {
        input: String,
        suffix: String,
        hint: String,
    },
    #[error(
        "quantity {input:?}: the exponent {suffix:?} must be e or E followed by an integer, \
         e.g. \"1e3\" or \"5E-3\" (exa is a capital \"E\" alone: \"1E\")"
    )]
    BadExponent { input: String, suffix: String },
    #[error("quantity {input:?}: exponent out of range")]
    ExponentOutOfRange { input: String },
    #[error(
        "quantity {input:?} is too large: Kubernetes quantities are limited to 2^63-1 \
         (9223372036854775807) units, e.g. \"8Ei\" or \"9E\""
    )]
    TooLarge { input: String },
    #[error("quantity arithmetic overflowed in {op} (more than ~1.7e29 units)")]
    Overflow { op: &'static str },
}

impl Quantity {
    /// Zero, printed `0`.
    pub const ZERO: Quantity = Quantity {
        nanos: 0,
        format: Format::DecimalSI,
    };

    /// Parses a quantity exactly as `resource.ParseQuantity` does, except that it rejects
    /// spellings without digits (`Gi`, `+`, `.`), which Kubernetes reads as 0, and decimal values
    /// above [`MAX_UNITS`] (see the module docs). Surrounding whitespace is an error here, as in
    /// `ParseQuantity`; the serde impl trims it first, as `Quantity.UnmarshalJSON` does.
    pub fn parse(input: &str) -> Result<Quantity, QuantityError> {
        parse::parse(input)
    }

    /// `units` whole units in the given format (e.g. bytes in [`Format::BinarySI`]).
    pub const fn from_units(units: i64, format: Format) -> Quantity {
        Quantity {
            nanos: units as i128 * NANOS_PER_UNIT,
            format,
        }
    }

    /// `millis` thousandths of a unit (millicores), [`Format::DecimalSI`].
    pub const fn from_millis(millis: i64) -> Quantity {
        Quantity {
            nanos: millis as i128 * NANOS_PER_MILLI,
            format: Format::DecimalSI,
        }
    }

    /// A quantity of `nanos` nanounits.
    pub const fn from_nanos(nanos: i128, format: Format) -> Quantity {
        Quantity { nanos, format }
    }

    /// The exact value in nanounits.
    pub const fn nanos(&self) -> i128 {
        self.nanos
    }

    pub const fn format(&self) -> Format {
        self.format
    }

    pub const fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    pub const fn is_negative(&self) -> bool {
        self.nanos < 0
    }

    /// The value in milliunits, rounded up away from zero: `MilliValue()`, which the scheduler
    /// uses for CPU (`1n` → 1, `0.5` → 500).
    pub const fn milli_ceil(&self) -> i128 {
        div_away_from_zero(self.nanos, NANOS_PER_MILLI)
    }

    /// The value in units, rounded up away from zero: `Value()`, which the scheduler uses for
    /// memory, storage and counts (`100m` → 1, `1.1Ki` → 1127).
    pub const fn value_ceil(&self) -> i128 {
        div_away_from_zero(self.nanos, NANOS_PER_UNIT)
    }

    /// The value rounded up (away from zero) to whole milliunits, as the API server's defaulting
    /// (`SetDefaults_ResourceList`: `RoundUp(-3)`) does to every entry of a pod's resource lists.
    /// Fails only within a milliunit of the `i128` range, far beyond anything parsed.
    pub fn round_up_to_milli(self) -> Result<Quantity, QuantityError> {
        let nanos = self
            .milli_ceil()
            .checked_mul(NANOS_PER_MILLI)
            .ok_or(QuantityError::Overflow { op: "rounding" })?;
        Ok(Quantity {
            nanos,
            format: self.format,
        })
    }

    /// `self + rhs`. Like `Quantity.Add`, a zero left side takes the right side's format, so a
    /// sum of `Gi` values still prints in `Gi`.
    pub fn checked_add(self, rhs: Quantity) -> Result<Quantity, QuantityError> {
        let nanos = self
            .nanos
            .checked_add(rhs.nanos)
            .ok_or(QuantityError::Overflow { op: "addition" })?;
        Ok(Quantity {
            nanos,
            format: self.format_after_op(rhs),
        })
    }

    /// `self - rhs`; format as for [`Quantity::checked_add`] (`Quantity.Sub`).
    pub fn checked_sub(self, rhs: Quantity) -> Result<Quantity, QuantityError> {
        let nanos = self
            .nanos
            .checked_sub(rhs.nanos)
            .ok_or(QuantityError::Overflow { op: "subtraction" })?;
        Ok(Quantity {
            nanos,
            format: self.format_after_op(rhs),
        })
    }

    /// `self * factor` (e.g. a pod's request times its replicas); keeps the format.
    pub fn checked_mul(self, factor: i64) -> Result<Quantity, QuantityError> {
        let nanos = self
            .nanos
            .checked_mul(i128::from(factor))
            .ok_or(QuantityError::Overflow {
                op: "multiplication",
            })?;
        Ok(Quantity {
            nanos,
            format: self.format,
        })
    }

    /// The sum of `items`, starting from zero.
    pub fn checked_sum<I: IntoIterator<Item = Quantity>>(
        items: I,
    ) -> Result<Quantity, QuantityError> {
        items
            .into_iter()
            .try_fold(Quantity::ZERO, Quantity::checked_add)
    }

    fn format_after_op(self, rhs: Quantity) -> Format {
        if self.is_zero() {
            rhs.format
        } else {
            self.format
        }
    }
}

/// `n / d` rounded away from zero (`d > 0`), the rounding of `ScaledValue` for int64 amounts.
const fn div_away_from_zero(n: i128, d: i128) -> i128 {
    let q = n / d;
    if n % d == 0 {
        q
    } else if n > 0 {
        q + 1
    } else {
        q - 1
    }
}

// Equality and order are by value alone, like `Quantity.Cmp`: `1Ki == 1024`.
impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for Quantity {}

impl Hash for Quantity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.nanos.hash(state);
    }
}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quantity::parse(s)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl serde::Serialize for Quantity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.canonical())
    }
}

impl<'de> serde::Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(QuantityVisitor)
    }
}

/// Accepts what `Quantity.UnmarshalJSON` accepts after a manifest went through YAML → JSON:
/// strings (trimmed), JSON numbers, and `null` (a zero quantity).
struct QuantityVisitor;

impl serde::de::Visitor<'_> for QuantityVisitor {
    type Value = Quantity;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a quantity such as \"500m\", \"1Gi\" or 2")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Quantity, E> {
        Quantity::parse(v.trim()).map_err(E::custom)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Quantity, E> {
        Ok(Quantity::from_units(v, Format::DecimalSI))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Quantity, E> {
        Quantity::parse(&v.to_string()).map_err(E::custom)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Quantity, E> {
        // The YAML/JSON layer already made this a float64, as sigs.k8s.io/yaml does before the
        // API server sees it; Go's encoding/json then writes it as the shortest decimal that
        // round-trips, which is what ParseQuantity reads. We only reproduce that text — no
        // arithmetic happens in f64.
        Quantity::parse(&go_json_float(v)).map_err(E::custom)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Quantity, E> {
        Ok(Quantity::ZERO)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Quantity, E> {
        Ok(Quantity::ZERO)
    }
}

/// The text Go's `encoding/json` writes for a float64: shortest round-trip digits, exponent
/// form below 1e-6 and from 1e21 on.
fn go_json_float(v: f64) -> String {
    let abs = v.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

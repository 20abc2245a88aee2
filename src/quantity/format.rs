//! Printing: Kubernetes' canonical form, and short human forms for reports.

use super::{Format, NANOS_PER_MILLI, NANOS_PER_UNIT, Quantity};

const DECIMAL_SUFFIXES: [(i32, &str); 10] = [
    (-9, "n"),
    (-6, "u"),
    (-3, "m"),
    (0, ""),
    (3, "k"),
    (6, "M"),
    (9, "G"),
    (12, "T"),
    (15, "P"),
    (18, "E"),
];
const BINARY_SUFFIXES: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

impl Quantity {
    /// The string Kubernetes writes for this quantity (`Quantity.CanonicalizeBytes`):
    ///
    /// - zero is `0`;
    /// - [`Format::BinarySI`] keeps a binary suffix when the value is a whole number of at least
    ///   1024 in magnitude (`1.5Gi` → `1536Mi`), otherwise falls back to decimal (`1.1Ki` →
    ///   `1126400m`, `512` stays `512`);
    /// - decimal formats use the largest suffix (or `eN`, N a multiple of 3) that keeps the
    ///   number whole: `0.5` → `500m`, `1000M` → `1G`, `1.5e3` → `1500`, `129e6` → `129e6`.
    ///
    /// Kubernetes' `String()` additionally echoes the input when it was already in a canonical
    /// shape (`+1`, `1E3`, `5.` print as written); this method always prints the computed form.
    /// Values beyond Kubernetes' range (only reachable through arithmetic) stay readable: the
    /// suffix stops at `E`/`Ei` and the number grows, where Kubernetes would drop the suffix.
    pub fn canonical(&self) -> String {
        if self.nanos == 0 {
            return "0".to_owned();
        }
        let format = match self.format {
            Format::BinarySI
                if self.nanos.unsigned_abs() >= 1024 * NANOS_PER_UNIT as u128
                    && self.nanos % NANOS_PER_UNIT == 0 =>
            {
                return self.canonical_binary();
            }
            Format::BinarySI => Format::DecimalSI,
            other => other,
        };
        let mut mantissa = self.nanos;
        let mut exponent: i32 = -9;
        while mantissa % 10 == 0 {
            mantissa /= 10;
            exponent += 1;
        }
        // Make the exponent a multiple of 3 by moving digits back into the mantissa; the
        // mantissa only grows back towards `nanos`, so this cannot overflow.
        let r = exponent.rem_euclid(3);
        mantissa *= 10i128.pow(r as u32);
        exponent -= r;
        match format {
            Format::DecimalExponent if exponent == 0 => mantissa.to_string(),
            Format::DecimalExponent => format!("{mantissa}e{exponent}"),
            _ => {
                if exponent > 18 {
                    mantissa *= 10i128.pow((exponent - 18) as u32);
                    exponent = 18;
                }
                let suffix = DECIMAL_SUFFIXES
                    .iter()
                    .find(|(e, _)| *e == exponent)
                    .map_or("", |(_, s)| s);
                format!("{mantissa}{suffix}")
            }
        }
    }

    fn canonical_binary(&self) -> String {
        let mut units = self.nanos / NANOS_PER_UNIT;
        let mut power = 0;
        while units % 1024 == 0 && power + 1 < BINARY_SUFFIXES.len() {
            units /= 1024;
            power += 1;
        }
        format!("{units}{}", BINARY_SUFFIXES[power])
    }

    /// CPU for people: millicores below one core (`250m`), cores with up to three decimals from
    /// one core up (`1.5`, `2`, `1.001`). Rounded up to millicores first, as the scheduler does.
    pub fn human_cpu(&self) -> String {
        let millis = self.milli_ceil();
        let sign = if millis < 0 { "-" } else { "" };
        let abs = millis.unsigned_abs();
        if abs == 0 {
            return "0".to_owned();
        }
        if abs < 1000 {
            return format!("{sign}{abs}m");
        }
        let (whole, frac) = (abs / 1000, abs % 1000);
        if frac == 0 {
            format!("{sign}{whole}")
        } else {
            let frac = format!("{frac:03}");
            format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
        }
    }

    /// Bytes for people: the largest binary unit the value reaches, with up to two decimals
    /// rounded half up (`7.5Gi`, `1.33Gi`, `512Mi`); below 1Ki the plain byte count (`512`).
    /// Rounded up to whole bytes first. Reports carry the exact integer next to this.
    pub fn human_bytes(&self) -> String {
        let bytes = self.value_ceil();
        let sign = if bytes < 0 { "-" } else { "" };
        let abs = bytes.unsigned_abs();
        let Some(mut power) = (1..BINARY_SUFFIXES.len())
            .rev()
            .find(|&p| abs >> (10 * p) > 0)
        else {
            return format!("{sign}{abs}");
        };
        let mut unit: u128 = 1 << (10 * power);
        let mut hundredths = (abs * 100 + unit / 2) / unit;
        // 1Gi - 1 byte rounds to "1024.00Mi": say "1Gi" instead.
        if hundredths >= 1024 * 100 && power + 1 < BINARY_SUFFIXES.len() {
            power += 1;
            unit <<= 10;
            hundredths = (abs * 100 + unit / 2) / unit;
        }
        let (whole, frac) = (hundredths / 100, hundredths % 100);
        let suffix = BINARY_SUFFIXES[power];
        match frac {
            0 => format!("{sign}{whole}{suffix}"),
            f if f % 10 == 0 => format!("{sign}{whole}.{}{suffix}", f / 10),
            f => format!("{sign}{whole}.{f:02}{suffix}"),
        }
    }

    /// The human form suited to a resource name: [`Quantity::human_cpu`] for `cpu`,
    /// [`Quantity::human_bytes`] for memory, storage and hugepages (also as quota keys such as
    /// `requests.memory`), and a plain number (or the canonical form when fractional) for
    /// counts such as `pods` or `nvidia.com/gpu`.
    pub fn human(&self, resource: &str) -> String {
        let name = resource.rsplit('/').next().unwrap_or(resource);
        let name = name
            .strip_prefix("requests.")
            .or_else(|| name.strip_prefix("limits."))
            .unwrap_or(name);
        match name {
            "cpu" => self.human_cpu(),
            "memory" | "storage" | "ephemeral-storage" => self.human_bytes(),
            n if n.starts_with("hugepages-") => self.human_bytes(),
            _ if self.nanos % NANOS_PER_UNIT == 0 => (self.nanos / NANOS_PER_UNIT).to_string(),
            _ => self.canonical(),
        }
    }
}

/// `amount` of `resource` (millicores for cpu, base units otherwise) for people, as
/// [`Quantity::human`] shows it.
pub fn human_amount(resource: &str, amount: i128) -> String {
    let q = if resource == "cpu" {
        Quantity::from_nanos(amount.saturating_mul(NANOS_PER_MILLI), Format::DecimalSI)
    } else {
        let format = if matches!(resource, "memory" | "ephemeral-storage")
            || resource.starts_with("hugepages-")
        {
            Format::BinarySI
        } else {
            Format::DecimalSI
        };
        Quantity::from_nanos(amount.saturating_mul(NANOS_PER_UNIT), format)
    };
    q.human(resource)
}

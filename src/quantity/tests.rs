//! Expected values come from running apimachinery v0.37.1 `resource.ParseQuantity` on each
//! input and printing `Format`, `CanonicalizeBytes`, `Value()` and `MilliValue()` (the nanounit
//! column is the exact `inf.Dec` value × 1e9). Where Go's int64 accessors overflow, or take
//! their big-decimal path, the comment gives Go's output and the row holds the exact value.

use super::*;
use Format::{BinarySI as Bin, DecimalExponent as Exp, DecimalSI as Dec};

type Row = (&'static str, Format, &'static str, i128, i128, i128);

/// (input, format, canonical, nanounits, Value(), MilliValue())
#[rustfmt::skip]
const KUBERNETES: &[Row] = &[
    ("0", Dec, "0", 0, 0, 0),
    ("+1", Dec, "1", 1000000000, 1, 1000),
    ("-1", Dec, "-1", -1000000000, -1, -1000),
    (".5", Dec, "500m", 500000000, 1, 500),
    ("5.", Dec, "5", 5000000000, 5, 5000),
    ("1e-3", Exp, "1e-3", 1000000, 1, 1),
    ("1E3", Exp, "1e3", 1000000000000, 1000, 1000000),
    ("1e3", Exp, "1e3", 1000000000000, 1000, 1000000),
    ("100m", Dec, "100m", 100000000, 1, 100),
    ("0.1", Dec, "100m", 100000000, 1, 100),
    ("1.5Gi", Bin, "1536Mi", 1610612736000000000, 1610612736, 1610612736000),
    ("1Ki", Bin, "1Ki", 1024000000000, 1024, 1024000),
    ("1k", Dec, "1k", 1000000000000, 1000, 1000000),
    ("1.5", Dec, "1500m", 1500000000, 2, 1500),
    ("0.5", Dec, "500m", 500000000, 1, 500),
    ("129e6", Exp, "129e6", 129000000000000000, 129000000, 129000000000),
    ("1e9", Exp, "1e9", 1000000000000000000, 1000000000, 1000000000000),
    ("2.5Gi", Bin, "2560Mi", 2684354560000000000, 2684354560, 2684354560000),
    ("-1.5Gi", Bin, "-1536Mi", -1610612736000000000, -1610612736, -1610612736000),
    ("0.5Gi", Bin, "512Mi", 536870912000000000, 536870912, 536870912000),
    ("1.1Ki", Bin, "1126400m", 1126400000000, 1127, 1126400),
    ("1023", Dec, "1023", 1023000000000, 1023, 1023000),
    ("1024", Dec, "1024", 1024000000000, 1024, 1024000),
    ("1025Ki", Bin, "1025Ki", 1049600000000000, 1049600, 1049600000),
    ("1000Mi", Bin, "1000Mi", 1048576000000000000, 1048576000, 1048576000000),
    ("1024Mi", Bin, "1Gi", 1073741824000000000, 1073741824, 1073741824000),
    ("1000M", Dec, "1G", 1000000000000000000, 1000000000, 1000000000000),
    (".001Ki", Bin, "1024m", 1024000000, 2, 1024),
    // Below one unit a binary amount switches to DecimalSI; 1.024n rounds up to 2n.
    (".000000000001Ki", Dec, "2n", 2, 1, 1),
    ("0.0000000001", Dec, "1n", 1, 1, 1),
    ("1e-10", Exp, "1e-9", 1, 1, 1),
    // Go: Value()=1, MilliValue()=1 — its big-decimal path rounds negatives towards +inf,
    // unlike its int64 path (-0.5 → -1). We round away from zero throughout.
    ("-1e-10", Exp, "-1e-9", -1, -1, -1),
    ("3.001n", Dec, "4n", 4, 1, 1),
    ("0.00000012345", Dec, "124n", 124, 1, 1),
    // Binary amounts above 2^63-1 are capped there by ParseQuantity.
    // Go: MilliValue()=-1000 (int64 overflow) for this row and the next four.
    ("9Ei", Bin, "9223372036854775807", 9223372036854775807000000000, 9223372036854775807, 9223372036854775807000),
    ("8Ei", Bin, "9223372036854775807", 9223372036854775807000000000, 9223372036854775807, 9223372036854775807000),
    // Go: MilliValue()=6917529027641081856 (overflow).
    ("7.99Ei", Bin, "9211842821808707338240m", 9211842821808707338240000000, 9211842821808707339, 9211842821808707338240),
    ("9223372036854775807", Dec, "9223372036854775807", 9223372036854775807000000000, 9223372036854775807, 9223372036854775807000),
    ("9223372036854775807Ki", Bin, "9223372036854775807", 9223372036854775807000000000, 9223372036854775807, 9223372036854775807000),
    // Go: MilliValue()=0 (overflow) for the next five rows.
    ("9E", Dec, "9E", 9000000000000000000000000000, 9000000000000000000, 9000000000000000000000),
    ("9.2E", Dec, "9200P", 9200000000000000000000000000, 9200000000000000000, 9200000000000000000000),
    ("1.7E18", Exp, "1700e15", 1700000000000000000000000000, 1700000000000000000, 1700000000000000000000),
    ("1E", Dec, "1E", 1000000000000000000000000000, 1000000000000000000, 1000000000000000000000),
    ("1e18", Exp, "1e18", 1000000000000000000000000000, 1000000000000000000, 1000000000000000000000),
    ("1.5e3", Exp, "1500", 1500000000000, 1500, 1500000),
    ("1.5E+3", Exp, "1500", 1500000000000, 1500, 1500000),
    ("0.5e-2", Exp, "5e-3", 5000000, 1, 5),
    ("80e-3", Exp, "80e-3", 80000000, 1, 80),
    ("1e-9", Exp, "1e-9", 1, 1, 1),
    ("1n", Dec, "1n", 1, 1, 1),
    ("1u", Dec, "1u", 1000, 1, 1),
    ("1m", Dec, "1m", 1000000, 1, 1),
    ("1M", Dec, "1M", 1000000000000000, 1000000, 1000000000),
    ("1G", Dec, "1G", 1000000000000000000, 1000000000, 1000000000000),
    ("1T", Dec, "1T", 1000000000000000000000, 1000000000000, 1000000000000000),
    ("1P", Dec, "1P", 1000000000000000000000000, 1000000000000000, 1000000000000000000),
    ("1E-3", Exp, "1e-3", 1000000, 1, 1),
    ("-0", Dec, "0", 0, 0, 0),
    ("+0", Dec, "0", 0, 0, 0),
    ("0Gi", Bin, "0", 0, 0, 0),
    ("-0.5", Dec, "-500m", -500000000, -1, -500),
    ("-100m", Dec, "-100m", -100000000, -1, -100),
    ("-1.5", Dec, "-1500m", -1500000000, -2, -1500),
    ("250m", Dec, "250m", 250000000, 1, 250),
    ("1500m", Dec, "1500m", 1500000000, 2, 1500),
    ("2000m", Dec, "2", 2000000000, 2, 2000),
    ("100.035k", Dec, "100035", 100035000000000, 100035, 100035000),
    ("7.123456M", Dec, "7123456", 7123456000000000, 7123456, 7123456000),
    ("40.1T", Dec, "40100G", 40100000000000000000000, 40100000000000, 40100000000000000),
    ("0.025Ti", Bin, "27487790694400m", 27487790694400000000, 27487790695, 27487790694400),
    ("100.035Ki", Bin, "102435840m", 102435840000000, 102436, 102435840),
    ("0.05Gi", Bin, "53687091200m", 53687091200000000, 53687092, 53687091200),
    ("1.G", Dec, "1G", 1000000000000000000, 1000000000, 1000000000000),
    ("1.", Dec, "1", 1000000000, 1, 1000),
    ("1.5Mi", Bin, "1536Ki", 1572864000000000, 1572864, 1572864000),
    ("1536Ki", Bin, "1536Ki", 1572864000000000, 1572864, 1572864000),
    ("1.25", Dec, "1250m", 1250000000, 2, 1250),
    ("10m", Dec, "10m", 10000000, 1, 10),
    ("123456", Dec, "123456", 123456000000000, 123456, 123456000),
    ("1Ti", Bin, "1Ti", 1099511627776000000000, 1099511627776, 1099511627776000),
    ("1.000000001", Dec, "1000000001n", 1000000001, 2, 1001),
    ("99999999999999999999n", Dec, "99999999999999999999n", 99999999999999999999, 100000000000, 100000000000000),
    ("1e0", Exp, "1", 1000000000, 1, 1000),
    ("1e-0", Exp, "1", 1000000000, 1, 1000),
    ("000001", Dec, "1", 1000000000, 1, 1000),
];

#[test]
fn parses_like_kubernetes() {
    for &(input, format, canonical, nanos, value, milli) in KUBERNETES {
        let q = Quantity::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        assert_eq!(q.nanos(), nanos, "{input:?} nanos");
        assert_eq!(q.format(), format, "{input:?} format");
        assert_eq!(q.canonical(), canonical, "{input:?} canonical");
        assert_eq!(q.value_ceil(), value, "{input:?} Value()");
        assert_eq!(q.milli_ceil(), milli, "{input:?} MilliValue()");
        // The canonical form reads back as the same value.
        assert_eq!(
            Quantity::parse(canonical).unwrap(),
            q,
            "{input:?} round trip"
        );
    }
}

/// Inputs ParseQuantity rejects, with the error we give.
#[test]
fn rejects_what_kubernetes_rejects() {
    use QuantityError as E;
    let s = String::from;
    let cases: &[(&str, QuantityError)] = &[
        ("", E::Empty),
        (
            " 1",
            E::Whitespace {
                input: s(" 1"),
                trimmed: s("1"),
            },
        ),
        (
            "1 ",
            E::Whitespace {
                input: s("1 "),
                trimmed: s("1"),
            },
        ),
        (
            "1.1.1",
            E::UnexpectedChar {
                input: s("1.1.1"),
                found: '.',
                at: 3,
                hint: "a quantity has at most one decimal point and its exponent is an integer",
            },
        ),
        (
            "1e3.5",
            E::UnexpectedChar {
                input: s("1e3.5"),
                found: '.',
                at: 3,
                hint: "a quantity has at most one decimal point and its exponent is an integer",
            },
        ),
        (
            "1 Gi",
            E::UnexpectedChar {
                input: s("1 Gi"),
                found: ' ',
                at: 1,
                hint: "no spaces inside a quantity: write \"1Gi\", not \"1 Gi\"",
            },
        ),
        (
            "1,5",
            E::UnexpectedChar {
                input: s("1,5"),
                found: ',',
                at: 1,
                hint: "use '.' as the decimal separator and no digit grouping, e.g. \"1.5\" or \"1500m\"",
            },
        ),
        (
            "1_000",
            E::UnexpectedChar {
                input: s("1_000"),
                found: '_',
                at: 1,
                hint: "digit separators are not allowed, write \"1000000\" or \"1M\"",
            },
        ),
        ("aoeu", E::NotANumber { input: s("aoeu") }),
        (
            "1e",
            E::BadExponent {
                input: s("1e"),
                suffix: s("e"),
            },
        ),
        (
            "1e+",
            E::BadExponent {
                input: s("1e+"),
                suffix: s("e+"),
            },
        ),
        (
            "1ee3",
            E::BadExponent {
                input: s("1ee3"),
                suffix: s("ee3"),
            },
        ),
    ];
    for (input, want) in cases {
        assert_eq!(Quantity::parse(input).as_ref(), Err(want), "{input:?}");
    }
    // Unknown suffixes, with the hint that names the right spelling.
    let suffixes: &[(&str, &str, &str)] = &[
        ("1gi", "gi", "\"Gi\""),
        (
            "1ki",
            "ki",
            "a lowercase \"k\" alone is decimal kilo (1000)",
        ),
        ("1K", "K", "kilo is a lowercase \"k\""),
        ("1mi", "mi", "\"Mi\""),
        ("0.1mi", "mi", "\"Mi\""),
        ("1Mi5", "Mi5", "valid suffixes are"),
        ("1KiB", "KiB", "no byte unit: write \"Ki\""),
        (
            "1GB",
            "GB",
            "write \"G\" (powers of 1000) or \"Gi\" (powers of 1024)",
        ),
        ("1kb", "kb", "write \"k\" (powers of 1000) or \"Ki\""),
        ("1g", "g", "\"G\" (or \"Gi\" for powers of 1024)"),
        ("0x10", "x10", "valid suffixes are"),
    ];
    for &(input, suffix, hint) in suffixes {
        match Quantity::parse(input) {
            Err(QuantityError::UnknownSuffix {
                suffix: got,
                hint: h,
                ..
            }) => {
                assert_eq!(got, suffix, "{input:?}");
                assert!(h.contains(hint), "{input:?}: hint {h:?} lacks {hint:?}");
            }
            other => panic!("{input:?}: {other:?}"),
        }
    }
}

/// Spellings Kubernetes accepts that we refuse on purpose (see the module docs).
#[test]
fn refuses_spellings_kubernetes_misreads() {
    // ParseQuantity reads each of these as 0.
    for input in ["Gi", "+", "-", ".", "-.", "e3", "Mi"] {
        assert!(
            matches!(
                Quantity::parse(input),
                Err(QuantityError::MissingNumber { .. })
            ),
            "{input:?}"
        );
    }
    // ParseQuantity keeps these as big decimals whose Value() overflows int64 (Go prints
    // Value() = -4362896299872285998 for the first, -9223372036854775808 for the second).
    for input in [
        "123456789012345678901234567890",
        "9223372036854775808",
        "9223372036854775807.000000001",
        "12E",
        "1e19",
        "1e21",
        "-1e19",
        "1e999999999",
    ] {
        assert!(
            matches!(Quantity::parse(input), Err(QuantityError::TooLarge { .. })),
            "{input:?}"
        );
    }
    // Kubernetes truncates an int64 exponent to int32; we refuse.
    assert!(matches!(
        Quantity::parse("1e4294967296"),
        Err(QuantityError::ExponentOutOfRange { .. })
    ));
    // Binary values are capped, not refused, because Kubernetes caps them the same way.
    let capped = Quantity::parse("99999999999999999999999999999999999999999Ei").unwrap();
    assert_eq!(capped.value_ceil(), MAX_UNITS);
    assert_eq!(Quantity::parse("-9Ei").unwrap().value_ceil(), -MAX_UNITS);
}

#[test]
fn extreme_spellings_stay_exact() {
    // Tiny exponents round up to one nanounit; zero stays zero whatever the exponent.
    assert_eq!(Quantity::parse("1e-999999999").unwrap().nanos(), 1);
    assert_eq!(Quantity::parse("0e999999999").unwrap().nanos(), 0);
    assert_eq!(Quantity::parse("-0.000e-5").unwrap().nanos(), 0);
    // Long fractions are exact before rounding (ceil(123456789.0123…)).
    let long = "0.1234567890123456789012345678901234567890123";
    assert_eq!(Quantity::parse(long).unwrap().nanos(), 123_456_790);
    let exact = "0.123456789000000000000000000000000000000000000";
    assert_eq!(Quantity::parse(exact).unwrap().nanos(), 123_456_789);
    // Long integer parts with many leading zeros.
    let zeros = format!("{}1Gi", "0".repeat(200));
    assert_eq!(Quantity::parse(&zeros).unwrap().value_ceil(), 1 << 30);
    // The largest value that is accepted, and the first that is not.
    assert_eq!(
        Quantity::parse("9223372036854775807").unwrap().value_ceil(),
        MAX_UNITS
    );
    assert!(Quantity::parse("9223372036854775807.000000001").is_err());
    // Exa in binary is exact: 7Ei = 7 × 2^60.
    assert_eq!(Quantity::parse("7Ei").unwrap().value_ceil(), 7i128 << 60);
    assert_eq!(Quantity::parse("7Ei").unwrap().canonical(), "7Ei");
}

/// `Quantity.Add/Sub/Mul` followed by `String()`, from apimachinery v0.37.1.
#[test]
fn arithmetic_matches_kubernetes() {
    let q = |s: &str| Quantity::parse(s).unwrap();
    let sums = [
        ("1Gi", "512Mi", "1536Mi", "512Mi"),
        ("0", "1Gi", "1Gi", "-1Gi"),
        ("100m", "0", "100m", "100m"),
        ("0", "100m", "100m", "-100m"),
        ("1", "500m", "1500m", "500m"),
        ("1Gi", "1", "1073741825", "1073741823"),
        ("1e3", "1k", "2e3", "0"),
        ("250m", "250m", "500m", "0"),
        ("1Ki", "1Ki", "2Ki", "0"),
        ("500Mi", "524Mi", "1Gi", "-24Mi"),
        ("1G", "1Gi", "2073741824", "-73741824"),
    ];
    for (a, b, sum, diff) in sums {
        assert_eq!(
            q(a).checked_add(q(b)).unwrap().canonical(),
            sum,
            "{a} + {b}"
        );
        assert_eq!(
            q(a).checked_sub(q(b)).unwrap().canonical(),
            diff,
            "{a} - {b}"
        );
    }
    let products = [
        ("1Gi", 3, "3Gi"),
        ("250m", 4, "1"),
        ("1.5", 2, "3"),
        ("512Mi", 2, "1Gi"),
        ("100m", 0, "0"),
    ];
    for (a, n, want) in products {
        assert_eq!(q(a).checked_mul(n).unwrap().canonical(), want, "{a} * {n}");
    }
    // `RoundUp(Milli)`, which API defaulting applies to resource lists.
    let rounded = [
        ("1n", "1m"),
        ("100u", "1m"),
        ("1.0001", "1001m"),
        ("1.5Gi", "1536Mi"),
        ("0.0001Ki", "103m"),
    ];
    for (a, want) in rounded {
        assert_eq!(
            q(a).round_up_to_milli().unwrap().canonical(),
            want,
            "RoundUp({a})"
        );
    }
    assert_eq!(
        Quantity::checked_sum(["1Gi", "1Gi", "2Gi"].map(q))
            .unwrap()
            .canonical(),
        "4Gi"
    );
}

#[test]
fn arithmetic_overflow_is_an_error() {
    let max = Quantity::parse("8Ei").unwrap();
    let huge = max.checked_mul(i64::MAX).unwrap_err();
    assert_eq!(
        huge,
        QuantityError::Overflow {
            op: "multiplication"
        }
    );
    let big = Quantity::from_nanos(i128::MAX, Format::DecimalSI);
    assert!(
        big.checked_add(Quantity::from_nanos(1, Format::DecimalSI))
            .is_err()
    );
    assert!(
        Quantity::from_nanos(i128::MIN, Format::DecimalSI)
            .checked_sub(Quantity::from_nanos(1, Format::DecimalSI))
            .is_err()
    );
    // ... but any parsed value times any int32 replica count fits.
    assert!(max.checked_mul(i64::from(i32::MAX)).is_ok());
}

#[test]
fn canonical_beyond_kubernetes_range_keeps_the_largest_suffix() {
    let ei = Quantity::parse("4Ei").unwrap().checked_mul(2048).unwrap();
    assert_eq!(ei.canonical(), "8192Ei");
    let e = Quantity::parse("9E").unwrap().checked_mul(1000).unwrap();
    assert_eq!(e.canonical(), "9000E");
    let exp = Quantity::parse("9e18").unwrap().checked_mul(1000).unwrap();
    assert_eq!(exp.canonical(), "9e21");
}

#[test]
fn equality_and_order_ignore_the_format() {
    let q = |s: &str| Quantity::parse(s).unwrap();
    assert_eq!(q("1Ki"), q("1024"));
    assert_eq!(q("1e3"), q("1k"));
    assert!(q("10000T") > q("100Gi"));
    assert!(q("50m") < q("100m"));
    assert!(q("-1") < q("0"));
    let mut v = [q("1Gi"), q("1G"), q("1Mi"), q("500m")];
    v.sort();
    let sorted: Vec<String> = v.iter().map(Quantity::canonical).collect();
    assert_eq!(sorted, ["500m", "1Mi", "1G", "1Gi"]);
}

#[test]
fn human_forms() {
    let q = |s: &str| Quantity::parse(s).unwrap();
    for (input, want) in [
        ("250m", "250m"),
        ("0.5", "500m"),
        ("1.5", "1.5"),
        ("1250m", "1.25"),
        ("2001m", "2.001"),
        ("2", "2"),
        ("1n", "1m"),
        ("0", "0"),
        ("-1.5", "-1.5"),
        ("64", "64"),
    ] {
        assert_eq!(q(input).human_cpu(), want, "cpu {input}");
    }
    for (input, want) in [
        ("7.5Gi", "7.5Gi"),
        ("1536Mi", "1.5Gi"),
        ("512Mi", "512Mi"),
        ("1G", "953.67Mi"),
        ("4G", "3.73Gi"),
        ("1.33Gi", "1.33Gi"),
        ("1073741823", "1Gi"),
        ("1023", "1023"),
        ("1024", "1Ki"),
        ("0", "0"),
        ("100m", "1"),
        ("2Ti", "2Ti"),
        ("8Ei", "8Ei"),
        ("-2Gi", "-2Gi"),
    ] {
        assert_eq!(q(input).human_bytes(), want, "bytes {input}");
    }
    assert_eq!(q("2").human("cpu"), "2");
    assert_eq!(q("4Gi").human("memory"), "4Gi");
    assert_eq!(q("4Gi").human("requests.memory"), "4Gi");
    assert_eq!(q("20Gi").human("ephemeral-storage"), "20Gi");
    assert_eq!(q("2Mi").human("hugepages-2Mi"), "2Mi");
    assert_eq!(
        q("100Gi").human("fast.storageclass.storage.k8s.io/requests.storage"),
        "100Gi"
    );
    assert_eq!(q("4").human("nvidia.com/gpu"), "4");
    assert_eq!(q("1k").human("pods"), "1000");
    assert_eq!(q("500m").human("example.com/widget"), "500m");
}

#[test]
fn serde_reads_manifests_like_unmarshal_json() {
    let read = |json: &str| serde_json::from_str::<Quantity>(json);
    assert_eq!(read("\"1Gi\"").unwrap().canonical(), "1Gi");
    // UnmarshalJSON trims whitespace, ParseQuantity alone does not.
    assert_eq!(read("\" 500m \"").unwrap().canonical(), "500m");
    assert_eq!(read("2").unwrap().canonical(), "2");
    assert_eq!(read("0.5").unwrap().canonical(), "500m");
    assert_eq!(read("0.1").unwrap().canonical(), "100m");
    assert_eq!(read("1e-7").unwrap().canonical(), "100e-9");
    assert!(read("18446744073709551615").unwrap_err().is_data());
    // JSON null is a zero quantity.
    assert!(read("null").unwrap().is_zero());
    let err = read("\"1 Gi\"").unwrap_err().to_string();
    assert!(err.contains("no spaces inside a quantity"), "{err}");
    assert!(read("true").is_err());
    // In a map, as in `resources.requests`.
    let list: std::collections::BTreeMap<String, Quantity> =
        serde_json::from_str(r#"{"cpu": 1, "memory": "1.5Gi", "nvidia.com/gpu": "2"}"#).unwrap();
    assert_eq!(list["cpu"].milli_ceil(), 1000);
    assert_eq!(list["memory"].value_ceil(), 1_610_612_736);
    assert_eq!(
        serde_json::to_string(&list["memory"]).unwrap(),
        "\"1536Mi\""
    );
}

#[test]
fn go_json_float_text() {
    assert_eq!(go_json_float(0.5), "0.5");
    assert_eq!(go_json_float(1e-7), "1e-7");
    assert_eq!(go_json_float(1e21), "1e21");
    assert_eq!(go_json_float(123456.0), "123456");
    assert_eq!(go_json_float(0.000001), "0.000001");
}

#[test]
fn errors_explain_the_fix() {
    let msg = |s: &str| Quantity::parse(s).unwrap_err().to_string();
    assert_eq!(
        msg("1ki"),
        "quantity \"1ki\": unknown suffix \"ki\": kibi (1024) is written \"Ki\"; a lowercase \"k\" \
         alone is decimal kilo (1000)"
    );
    assert_eq!(
        msg("Gi"),
        "quantity \"Gi\" has no digits: write a number before the suffix, e.g. \"1Gi\" or \"500m\" \
         (Kubernetes would silently read this as 0, which is almost always a templating mistake)"
    );
    assert!(msg("12E").contains("limited to 2^63-1"));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn any_format() -> impl Strategy<Value = Format> {
        prop_oneof![Just(Dec), Just(Bin), Just(Exp)]
    }

    fn parsed_range() -> impl Strategy<Value = i128> {
        -MAX_PARSED_NANOS..=MAX_PARSED_NANOS
    }

    fn suffix() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
            "e3", "e-3", "E6", "e0", "e-9",
        ])
    }

    proptest! {
        // parse(canonical(q)) == q for every value a parse can produce, in every format.
        #[test]
        fn canonical_round_trips(nanos in parsed_range(), format in any_format()) {
            let q = Quantity::from_nanos(nanos, format);
            let text = q.canonical();
            let back = Quantity::parse(&text).unwrap();
            prop_assert_eq!(back, q, "{}", text);
            // Canonical text is a fixed point.
            prop_assert_eq!(back.canonical(), text);
        }

        // Printing never panics, whatever arithmetic produced the value.
        #[test]
        fn printing_is_total(nanos in any::<i128>(), format in any_format()) {
            let q = Quantity::from_nanos(nanos, format);
            let _ = (q.canonical(), q.human_cpu(), q.human_bytes(), q.human("pods"));
        }

        #[test]
        fn parse_never_panics(s in "[-+]?[0-9]{0,25}(\\.[0-9]{0,25})?([eE][-+]?[0-9]{0,12}|[numkMGTPEi]{0,3})") {
            let _ = Quantity::parse(&s);
        }

        // Mixed spellings: digits × suffix agree with arithmetic on the parts.
        #[test]
        fn suffix_scales_exactly(int in 0u32..1_000_000, frac in 0u32..1000, sfx in suffix()) {
            let text = format!("{int}.{frac:03}{sfx}");
            let parsed = Quantity::parse(&text);
            let base = Quantity::parse(&format!("{int}.{frac:03}")).unwrap().nanos();
            let expected = match sfx {
                "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
                    let p = match sfx { "Ki" => 10, "Mi" => 20, "Gi" => 30, "Ti" => 40, "Pi" => 50, _ => 60 };
                    (base << p).min(MAX_PARSED_NANOS)
                }
                _ => {
                    let e: i32 = match sfx {
                        "" | "e0" => 0, "n" | "e-9" => -9, "u" => -6, "m" | "e-3" => -3,
                        "k" | "e3" => 3, "M" | "E6" => 6, "G" => 9, "T" => 12, "P" => 15, _ => 18,
                    };
                    if e >= 0 {
                        base * 10i128.pow(e as u32)
                    } else {
                        let d = 10i128.pow((-e) as u32);
                        base / d + i128::from(base % d != 0)
                    }
                }
            };
            if expected > MAX_PARSED_NANOS {
                let too_large = matches!(parsed, Err(QuantityError::TooLarge { .. }));
                prop_assert!(too_large, "{}", text);
            } else {
                prop_assert_eq!(parsed.unwrap().nanos(), expected, "{}", text);
            }
        }

        #[test]
        fn ceil_rounding(nanos in parsed_range()) {
            let q = Quantity::from_nanos(nanos, Dec);
            let milli = q.milli_ceil();
            // milli is the smallest magnitude that covers q, away from zero.
            prop_assert!(milli.abs() * NANOS_PER_MILLI >= nanos.abs());
            prop_assert!((milli.abs() - 1) * NANOS_PER_MILLI < nanos.abs() || milli == 0);
            prop_assert_eq!(milli.signum(), nanos.signum());
            prop_assert_eq!(q.round_up_to_milli().unwrap().nanos(), milli * NANOS_PER_MILLI);
        }
    }
}

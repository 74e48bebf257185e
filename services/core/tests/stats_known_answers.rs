//! Known-answer tests for `lighed_core::stats`, reproducing METHODS.md §4.3 T1–T5, T8, T9.
//!
//! Source of every expected number: the R package PHEindicatormethods (UKHSA, GPL-3),
//! repository `ukhsa-collaboration/PHEindicatormethods`, commit
//! 093fd288d8f8949dbcfbed70049dbbf385b6141d, files under `tests/testthat/` named at each test
//! (the workbooks are the package's own known answers, loaded by `data-raw/LoadTestdata.R`).
//! Values were carried over into METHODS.md §4.3 (marked [verified] there).

// Expected values keep every digit the source prints (R's 17 significant digits).
#![allow(clippy::excessive_precision)]

use lighed_core::stats::dsr::{DsrArrays, NOTE_TOTAL_BELOW_10, dsr, dsr_many};
use lighed_core::stats::esp2013::ESP2013;
use lighed_core::stats::inequality::sii_rii;
use lighed_core::stats::isr::{expected_events, israte, isratio};
use lighed_core::stats::quantile::assign_quantiles;
use lighed_core::stats::rate::crude_rate;
use lighed_core::stats::wilson::{proportion, wilson_limits};
use lighed_core::stats::{Confidence, Method, byars};
use ndarray::Array2;

const P95: Confidence = Confidence::P95;
const P998: Confidence = Confidence::P998;

#[track_caller]
fn close(got: f64, want: f64, rel: f64) {
    let err = ((got - want) / want).abs();
    assert!(
        err <= rel || (got - want).abs() < 1e-300,
        "got {got:?}, want {want:?} (rel err {err:e} > {rel:e})"
    );
}

#[track_caller]
fn close_opt(got: Option<f64>, want: f64, rel: f64) {
    close(got.expect("value expected"), want, rel)
}

/// T1 — `tests/testthat/testdata_Byars_Wilson.xlsx`, sheet `testdata_B_W`.
#[test]
fn t1_byars_limits_of_counts() {
    let cases = [
        (65.0, P95, 50.163187710459454, 82.849138545939837),
        (1045.0, P95, 982.59320180733255, 1110.3312129856499),
        (1.0, P95, 0.013072132901504351, 5.5637555824752605),
        (65.0, P998, 42.880261471480203, 94.000290844318016),
        (1045.0, P998, 947.94070356103737, 1148.8061609880331),
        (10.0, P998, 2.916318374695686, 24.193724927880535),
    ];
    for (x, c, lo, hi) in cases {
        close_opt(byars::byars_lower(x, c), lo, 1e-9);
        close(byars::byars_upper(x, c), hi, 1e-9);
    }
}

/// T2 — `tests/testthat/testdata_Byars_Wilson.xlsx`, sheet `testdata_B_W`.
#[test]
fn t2_wilson_limits() {
    let cases = [
        (65.0, 100.0, P95, 0.55254443296887967, 0.73635751756902468),
        (
            1045.0,
            5000.0,
            P95,
            0.19795549880013297,
            0.22049130373189027,
        ),
        (0.445, 1.0, P95, 0.043817447720588223, 0.93346212769791559),
        (65.0, 100.0, P998, 0.49549465740704313, 0.77835406140896968),
        (
            1045.0,
            5000.0,
            P998,
            0.19179381799015244,
            0.22731562902525818,
        ),
        (0.445, 1.0, P998, 0.019347006132900975, 0.97022599470195414),
    ];
    for (x, n, c, lo, hi) in cases {
        let (l, u) = wilson_limits(x, n, c).unwrap();
        close(l, lo, 1e-9);
        close(u, hi, 1e-9);
    }
}

/// T3 — `tests/testthat/testdata_Proportion.xlsx` (multiplier 1).
#[test]
fn t3_proportions() {
    let e = proportion(1.0, 100.0, P95, 1.0).unwrap();
    close_opt(e.value, 0.01, 1e-12);
    close_opt(e.lower, 0.0017674320641406511, 1e-9);
    close_opt(e.upper, 0.054486196178705294, 1e-9);
    assert_eq!(e.method, Method::Wilson);
    let e = proportion(1.0, 100.0, P998, 1.0).unwrap();
    close_opt(e.lower, 0.000873065697299977, 1e-9);
    close_opt(e.upper, 0.10455445283705821, 1e-9);
    let e = proportion(9856.0, 12345.0, P95, 1.0).unwrap();
    close_opt(e.value, 0.79837991089509919, 1e-12);
    close_opt(e.lower, 0.79121017529090687, 1e-9);
    close_opt(e.upper, 0.80536400736149094, 1e-9);
    let e = proportion(9856.0, 12345.0, P998, 1.0).unwrap();
    close_opt(e.lower, 0.7869924108419063, 1e-9);
    close_opt(e.upper, 0.80930614125896261, 1e-9);
    let e = proportion(7776456.0, 7564336677.0, P95, 1.0).unwrap();
    close_opt(e.value, 0.0010280420256339154, 1e-12);
    close_opt(e.lower, 0.0010273201001641094, 1e-9);
    close_opt(e.upper, 0.0010287644578977231, 1e-9);
}

/// T4 — `tests/testthat/testdata_Rate.xlsx` (per 100; Exact below 10 events).
#[test]
fn t4_crude_rates() {
    let e = crude_rate(1.0, 100.0, P95, 100.0).unwrap();
    close_opt(e.value, 1.0, 1e-12);
    close_opt(e.lower, 0.025317807984289897, 1e-9);
    close_opt(e.upper, 5.571643390938898, 1e-9);
    assert_eq!(e.method, Method::Exact);
    let e = crude_rate(5.0, 100.0, P95, 100.0).unwrap();
    close_opt(e.lower, 1.62348639011842, 1e-9);
    close_opt(e.upper, 11.668332079322669, 1e-9);
    assert_eq!(e.method, Method::Exact);
    let e = crude_rate(20.0, 100.0, P95, 100.0).unwrap();
    close_opt(e.lower, 12.211428834875937, 1e-9);
    close_opt(e.upper, 30.889880369197066, 1e-9);
    assert_eq!(e.method, Method::Byars);
    // A rate may exceed its denominator (250 events among 220 persons), per 100,000.
    let e = crude_rate(250.0, 220.0, P95, 100_000.0).unwrap();
    close_opt(e.value, 113636.36363636365, 1e-12);
    close_opt(e.lower, 99984.947385328764, 1e-9);
    close_opt(e.upper, 128631.14487455782, 1e-9);
}

// T5 inputs — `tests/testthat/testdata_DSR_ISR.xlsx`, sheet `testdata_multiarea_isr` (the band
// labelled "55-69" in the file is 55–59). NA counts are 0, as the package treats them.
const BIG: [f64; 19] = [
    127.0, 25.0, 18.0, 21.0, 12.0, 27.0, 48.0, 27.0, 29.0, 32.0, 32.0, 34.0, 45.0, 65.0, 38.0,
    68.0, 74.0, 82.0, 91.0,
];
const SMALL: [f64; 19] = [
    12.0, 4.0, 3.0, 2.0, 3.0, 4.0, 8.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 5.0, 6.0, 5.0, 5.0, 4.0,
];
const TINY: [f64; 19] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 2.0, 3.0,
];
const POP: [f64; 19] = [
    636.0, 558.0, 609.0, 543.0, 384.0, 594.0, 669.0, 843.0, 660.0, 576.0, 606.0, 522.0, 426.0,
    273.0, 300.0, 288.0, 153.0, 123.0, 207.0,
];
const REF_COUNT: [f64; 19] = [
    10303.0, 2824.0, 0.0, 3615.0, 3641.0, 3490.0, 3789.0, 3213.0, 3031.0, 2771.0, 3089.0, 3490.0,
    3595.0, 4745.0, 5514.0, 7125.0, 5694.0, 6210.0, 5757.0,
];
const REF_POP: [f64; 19] = [
    50520.0, 57173.0, 60213.0, 54659.0, 44345.0, 50128.0, 62163.0, 67423.0, 62899.0, 55463.0,
    60479.0, 49974.0, 44140.0, 40888.0, 37239.0, 30819.0, 18136.0, 15325.0, 13918.0,
];

/// T5 DSR — `testdata_DSR_ISR.xlsx`, sheet `testresults_DSR` (ESP2013, per 100,000).
#[test]
fn t5_dsr_with_esp2013() {
    let e = dsr(&BIG, &POP, &ESP2013, P95, 1e5).unwrap();
    close_opt(e.value, 10430.247991469423, 1e-9);
    close_opt(e.lower, 9717.709067985681, 1e-9);
    close_opt(e.upper, 11178.94091547925, 1e-9);
    assert_eq!(e.method, Method::Dobson);
    let e = dsr(&BIG, &POP, &ESP2013, P998, 1e5).unwrap();
    close_opt(e.lower, 9323.2878802199029, 1e-9);
    close_opt(e.upper, 11620.595999522058, 1e-9);
    let e = dsr(&BIG, &POP, &ESP2013, P95, 1e4).unwrap();
    close_opt(e.value, 1043.0247991469423, 1e-9);
    close_opt(e.lower, 971.77090679856803, 1e-9);
    close_opt(e.upper, 1117.894091547925, 1e-9);
    let e = dsr(&SMALL, &POP, &ESP2013, P95, 1e5).unwrap();
    close_opt(e.value, 1103.212025300104, 1e-9);
    close_opt(e.lower, 877.455767536709, 1e-9);
    close_opt(e.upper, 1367.0882227251795, 1e-9);
    let e = dsr(&SMALL, &POP, &ESP2013, P998, 1e5).unwrap();
    close_opt(e.lower, 763.64203579398793, 1e-9);
    close_opt(e.upper, 1530.0328948244762, 1e-9);
    let e = dsr(&TINY, &POP, &ESP2013, P95, 1e5).unwrap();
    assert_eq!((e.value, e.lower, e.upper), (None, None, None));
    assert_eq!(e.note.as_deref(), Some(NOTE_TOTAL_BELOW_10));
}

/// T5 again through the vectorised path: the same three areas as rows of an ndarray.
#[test]
fn t5_dsr_vectorised_matches_scalar() {
    let mut counts = Array2::zeros((3, 19));
    let mut pops = Array2::zeros((3, 19));
    for (a, row) in [BIG, SMALL, TINY].iter().enumerate() {
        for b in 0..19 {
            counts[[a, b]] = row[b];
            pops[[a, b]] = POP[b];
        }
    }
    let std = ndarray::Array1::from(ESP2013.to_vec());
    let DsrArrays {
        observed,
        value,
        lower,
        upper,
        ..
    } = dsr_many(counts.view(), pops.view(), std.view(), P95, 1e5).unwrap();
    assert_eq!(observed.to_vec(), vec![895.0, 91.0, 9.0]);
    close(value[0], 10430.247991469423, 1e-9);
    close(lower[1], 877.455767536709, 1e-9);
    close(upper[1], 1367.0882227251795, 1e-9);
    assert!(value[2].is_nan() && lower[2].is_nan() && upper[2].is_nan());
}

/// T5 ISR — `testdata_DSR_ISR.xlsx`, sheet `testresults_ISR`.
#[test]
fn t5_indirectly_standardised_ratios_and_rates() {
    let (e, ref_rate) = expected_events(&POP, &REF_COUNT, &REF_POP).unwrap();
    close(e, 835.88356123117433, 1e-12);
    close(ref_rate * 1e5, 9349.8830922110192, 1e-12);

    let r = isratio(895.0, e, P95, 1.0).unwrap();
    close_opt(r.value, 1.0707232939020275, 1e-9);
    close_opt(r.lower, 1.0017147712553987, 1e-9);
    close_opt(r.upper, 1.1432332872498949, 1e-9);
    assert_eq!(r.method, Method::Byars);
    let r = isratio(895.0, e, P998, 1.0).unwrap();
    close_opt(r.lower, 0.96351556196144372, 1e-9);
    close_opt(r.upper, 1.1860070415876287, 1e-9);
    let r = israte(895.0, e, ref_rate, P95, 1e5).unwrap();
    close_opt(r.value, 10011.137622091057, 1e-9);
    close_opt(r.lower, 9365.91600297888, 1e-9);
    close_opt(r.upper, 10689.097582910616, 1e-9);

    let r = isratio(91.0, e, P95, 1.0).unwrap();
    close_opt(r.value, 0.10886683770400503, 1e-9);
    close_opt(r.lower, 0.08765040101829405, 1e-9);
    close_opt(r.upper, 0.13366576328418911, 1e-9);

    // tiny: O = 9 < 10 → Exact.
    let r = isratio(9.0, e, P95, 1.0).unwrap();
    close_opt(r.value, 0.010767049882813684, 1e-9);
    close_opt(r.lower, 0.0049233808250957762, 1e-9);
    close_opt(r.upper, 0.02043921455549973, 1e-9);
    assert_eq!(r.method, Method::Exact);
    let r = israte(9.0, e, ref_rate, P95, 1e5).unwrap();
    close_opt(r.value, 100.6706576523123, 1e-9);
    close_opt(r.lower, 46.033035133078933, 1e-9);
    close_opt(r.upper, 191.10426659054028, 1e-9);
}

/// T8 — `tests/testthat/testdata_Quantiles.xlsx`, group 11111Female/IndSexReg, deciles, invert.
#[test]
fn t8_quantiles_with_ties() {
    let values = [
        182.71, 175.99, 169.27, 169.27, 155.83, 149.11, 142.39, 135.67, 128.95, 121.4, 108.9,
        108.9, 101.6,
    ];
    let v: Vec<Option<f64>> = values.iter().map(|&x| Some(x)).collect();
    let q = assign_quantiles(&v, 10, true).unwrap();
    let got: Vec<u32> = q.into_iter().map(|q| q.unwrap()).collect();
    assert_eq!(got, vec![1, 1, 2, 2, 4, 4, 5, 6, 7, 7, 8, 8, 10]);
}

/// T8 [derived] (METHODS.md §4.3): N = 20, 10 groups, no ties → 1,1,2,2,…,10,10.
#[test]
fn t8_quantiles_twenty_areas() {
    let v: Vec<Option<f64>> = (0..20).map(|i| Some(100.0 - i as f64)).collect();
    let q: Vec<u32> = assign_quantiles(&v, 10, true)
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect();
    let want: Vec<u32> = (1..=10).flat_map(|d| [d, d]).collect();
    assert_eq!(q, want);
}

/// T9 — `tests/testthat/testdata_SII.xlsx`, rows 1–10, "area1", value type 0, multiplier 1.
#[test]
fn t9_sii_and_rii_point_estimates() {
    let pops = [
        7291.0, 7997.0, 6105.0, 7666.0, 5790.0, 6934.0, 5918.0, 5974.0, 7147.0, 7534.0,
    ];
    let values = [
        75.933459010308098,
        78.344238272784295,
        83.836063104165405,
        83.637539966493094,
        80.465503152955904,
        81.115675985702197,
        81.693083571856207,
        84.190006206098701,
        80.595564108147201,
        86.289434957862397,
    ];
    let (sii, rii) = sii_rii(&pops, &values, 1.0).unwrap();
    close(sii, 6.9346164736688189, 1e-9);
    close_opt(rii, 1.0888180804446217, 1e-9);
}

//! `lighed stats` end to end: the real binary on small files, one round trip per method and
//! the error cases (one `file:line:column: message` line on stderr, nothing on stdout, non-zero
//! exit). Expected numbers are METHODS.md §4.3 (PHEindicatormethods test data, commit 093fd288).

// Expected values keep every digit the source prints (R's 17 significant digits).
#![allow(clippy::excessive_precision)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }
    fn file(&self, name: &str, body: &str) -> PathBuf {
        let p = self.0.path().join(name);
        std::fs::write(&p, body).unwrap();
        p
    }
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_lighed"))
            .arg("--data-dir")
            .arg(self.0.path().join("data"))
            .arg("stats")
            .args(args)
            .env_remove("LIGHED_DATABASE_URL")
            .output()
            .unwrap()
    }
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn failed(o: &Output) -> String {
    assert!(!o.status.success());
    assert!(
        o.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    let e = String::from_utf8(o.stderr.clone()).unwrap();
    assert_eq!(e.trim_end().lines().count(), 1, "one line: {e}");
    e
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn field(out: &str, line: usize, col: usize) -> f64 {
    out.lines()
        .nth(line)
        .unwrap()
        .split(',')
        .nth(col)
        .unwrap()
        .parse()
        .unwrap()
}

const BANDS: [&str; 19] = [
    "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54",
    "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+",
];
// T5, area "big" (testdata_DSR_ISR.xlsx, sheet testdata_multiarea_isr).
const BIG: [u32; 19] = [
    127, 25, 18, 21, 12, 27, 48, 27, 29, 32, 32, 34, 45, 65, 38, 68, 74, 82, 91,
];
const POP: [u32; 19] = [
    636, 558, 609, 543, 384, 594, 669, 843, 660, 576, 606, 522, 426, 273, 300, 288, 153, 123, 207,
];
const REF_COUNT: [u32; 19] = [
    10303, 2824, 0, 3615, 3641, 3490, 3789, 3213, 3031, 2771, 3089, 3490, 3595, 4745, 5514, 7125,
    5694, 6210, 5757,
];
const REF_POP: [u32; 19] = [
    50520, 57173, 60213, 54659, 44345, 50128, 62163, 67423, 62899, 55463, 60479, 49974, 44140,
    40888, 37239, 30819, 18136, 15325, 13918,
];

fn big_file(d: &Dir) -> PathBuf {
    let mut s = String::from("area,age_band,count,population\n");
    for b in 0..19 {
        s.push_str(&format!("big,{},{},{}\n", BANDS[b], BIG[b], POP[b]));
    }
    d.file("big.csv", &s)
}

#[test]
fn proportion_and_rate() {
    let d = Dir::new();
    let f = d.file(
        "p.csv",
        "area,numerator,denominator\nA,9856,12345\nB,20,100\n",
    );
    let out = ok(&d.run(&["proportion", "--input", p(&f), "--conf", "99.8"]));
    assert!(out.starts_with("area,numerator,denominator,value,lower,upper,confidence,method\n"));
    assert!((field(&out, 1, 4) / 0.7869924108419063 - 1.0).abs() < 1e-12);
    assert!(out.lines().nth(1).unwrap().ends_with(",0.998,Wilson"));
    let out = ok(&d.run(&["rate", "--input", p(&f), "--multiplier", "100"]));
    assert!((field(&out, 2, 4) / 12.211428834875937 - 1.0).abs() < 1e-12);
    assert!(out.lines().nth(2).unwrap().ends_with(",Byars"));
}

#[test]
fn dsr_isr_json() {
    let d = Dir::new();
    let f = big_file(&d);
    let out = ok(&d.run(&["dsr", "--input", p(&f)]));
    assert!((field(&out, 1, 3) / 10430.247991469423 - 1.0).abs() < 1e-12);
    assert!((field(&out, 1, 4) / 9717.709067985681 - 1.0).abs() < 1e-12);
    let mut r = String::from("age_band,count,population\n");
    for b in 0..19 {
        r.push_str(&format!("{},{},{}\n", BANDS[b], REF_COUNT[b], REF_POP[b]));
    }
    let rf = d.file("ref.csv", &r);
    let out = ok(&d.run(&[
        "isr",
        "--input",
        p(&f),
        "--reference",
        p(&rf),
        "--rate",
        "--format",
        "json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rate = v[0]["value"].as_f64().unwrap();
    assert!((rate / 10011.137622091057 - 1.0).abs() < 1e-12);
    assert_eq!(v[0]["method"], "Byars");
}

#[test]
fn funnels_quantile_inequality() {
    let d = Dir::new();
    let f = d.file("f.csv", "area,numerator,denominator\nNew Forest PCT,35078.488,41980\nNorwich PCT,24803.6256,31824\nSouth Gloucestershire PCT,50050.7443,61921\n");
    let out = ok(&d.run(&["funnel-proportion", "--input", p(&f)]));
    assert!(out.starts_with(
        "area,numerator,denominator,lower_2s,upper_2s,lower_3s,upper_3s,significance\n"
    ));
    let r = d.file(
        "r.csv",
        "area,observed,expected\nx,159,232.9329036\ny,150,119.5695496\n",
    );
    let out = ok(&d.run(&["funnel-ratio", "--input", p(&r)]));
    assert!(out.lines().nth(1).unwrap().ends_with(",Low (0.001)"));
    assert!(out.lines().nth(2).unwrap().ends_with(",High (0.025)"));
    let q = d.file("q.csv", "area,value\na,182.71\nb,175.99\nc,169.27\nd,169.27\ne,155.83\nf,149.11\ng,142.39\nh,135.67\ni,128.95\nj,121.4\nk,108.9\nl,108.9\nm,101.6\n");
    let out = ok(&d.run(&["quantile", "--input", p(&q), "--groups", "10", "--invert"]));
    let deciles: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(
        deciles,
        [
            "1", "1", "2", "2", "4", "4", "5", "6", "7", "7", "8", "8", "10"
        ]
    );
    let i = d.file("i.csv", "group,population,value\n1,7291,75.933459010308098\n2,7997,78.344238272784295\n3,6105,83.836063104165405\n4,7666,83.637539966493094\n5,5790,80.465503152955904\n6,6934,81.115675985702197\n7,5918,81.693083571856207\n8,5974,84.190006206098701\n9,7147,80.595564108147201\n10,7534,86.289434957862397\n");
    let out = ok(&d.run(&["inequality", "--input", p(&i)]));
    assert!(out.starts_with("sii,rii,concentration_index,theil,par,paf,difference,ratio\n"));
    assert!((field(&out, 1, 0) / 6.9346164736688189 - 1.0).abs() < 1e-9);
    assert!((field(&out, 1, 1) / 1.0888180804446217 - 1.0).abs() < 1e-9);
}

#[test]
fn errors_are_one_located_line_and_nothing_on_stdout() {
    let d = Dir::new();
    let f = d.file(
        "bad.csv",
        "area,numerator,denominator\nA,1,100\nB,abc,100\n",
    );
    let e = failed(&d.run(&["proportion", "--input", p(&f)]));
    assert!(e.contains(&format!("{}:3:2: ", p(&f))), "{e}");
    let f = d.file("gt.csv", "area,numerator,denominator\nA,101,100\n");
    assert!(
        failed(&d.run(&["proportion", "--input", p(&f)]))
            .contains("gt.csv:2:2: numerator 101 exceeds")
    );
    let f = d.file("neg.csv", "area,numerator,denominator\nA,-1,100\n");
    assert!(
        failed(&d.run(&["rate", "--input", p(&f)]))
            .contains("neg.csv:2:2: numerator -1 is negative")
    );
    let f = d.file("miss.csv", "area,numerator\nA,1\n");
    assert!(
        failed(&d.run(&["rate", "--input", p(&f)]))
            .contains("miss.csv:1:3: missing column \"denominator\"")
    );
    let f = d.file("band.csv", "area,age_band,count,population\nA,95+,1,10\n");
    assert!(
        failed(&d.run(&["dsr", "--input", p(&f)]))
            .contains("band.csv:2:2: unknown age band \"95+\"")
    );
    let f = big_file(&d);
    assert!(failed(&d.run(&["dsr", "--input", p(&f), "--conf", "0.5"])).contains("--conf"));
    assert!(failed(&d.run(&["isr", "--input", p(&f)])).contains("--reference"));
    let nofile = d.0.path().join("nope.csv");
    assert!(failed(&d.run(&["rate", "--input", p(&nofile)])).contains("nope.csv:1:1: cannot read"));
}

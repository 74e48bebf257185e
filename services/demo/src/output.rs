//! Writers for the demo files. CSV goes through the `csv` crate (LF line ends); integers are
//! written with `u64`/`i64` `Display`, and the one fractional value (income % of region) as
//! an integer number of tenths, so no float formatting is involved.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::geography::Geography;
use crate::indicators::{Cell, Indicators, RATES, ids, rate_index};
use crate::population::{Population, sum_ages};
use crate::segments::{self, SEGMENT_IDS, Segments};
use crate::spec::ESP_BANDS;
use crate::{DemoError, N_YEARS, YEARS};

/// The README (sidecar) file name.
pub const README_FILE: &str = "README.md";
/// Housing areas file name.
pub const HOUSING_AREAS_FILE: &str = "housing_areas.csv";
/// FOLK1A-style population extract file name.
pub const FOLK1A_FILE: &str = "folk1a_population.csv";
/// Long-format indicator file name.
pub const INDICATORS_FILE: &str = "indicators.csv";
/// Long-format citizen-segment aggregates file name.
pub const SEGMENTS_FILE: &str = "segments.csv";

/// Header of `indicators.csv`.
pub const INDICATORS_HEADER: [&str; 8] = [
    "area_code",
    "indicator",
    "period",
    "numerator",
    "denominator",
    "age_band",
    "sex",
    "segment",
];
/// Header of `folk1a_population.csv`.
pub const FOLK1A_HEADER: [&str; 5] = ["OMRÅDE", "KØN", "ALDER", "TID", "INDHOLD"];
/// Header of `housing_areas.csv`.
pub const HOUSING_HEADER: [&str; 7] = [
    "code",
    "name",
    "municipality_code",
    "parish_code",
    "lon",
    "lat",
    "name_kind",
];

fn writer(delimiter: u8) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new())
}

fn finish(file: &str, w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, DemoError> {
    w.into_inner().map_err(|e| DemoError::Output {
        file: file.to_string(),
        message: e.to_string(),
    })
}

fn csv_err(file: &str) -> impl Fn(csv::Error) -> DemoError + '_ {
    move |e| DemoError::Output {
        file: file.to_string(),
        message: e.to_string(),
    }
}

/// Formats `v` millionths of a degree as a decimal with 6 places (e.g. `8876520` →
/// `8.876520`), by integer arithmetic.
fn micro_degrees(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    format!("{sign}{}.{:06}", a / 1_000_000, a % 1_000_000)
}

/// Formats tenths as a decimal with one place (`524` → `52.4`).
fn tenths(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    format!("{sign}{}.{}", a / 10, a % 10)
}

/// Housing-area coordinates: host-parish centroid plus a seeded offset of at most 1.4 km,
/// rounded to micro-degrees (≈ 0.1 m).
fn housing_coordinates(geo: &Geography, pop: &Population, seed: u64) -> Vec<(i64, i64)> {
    use rand::RngExt;
    pop.areas
        .iter()
        .map(|a| {
            let mut rng = crate::stream(seed, &format!("housing/offset/{}", a.code));
            let p = &geo.parishes[a.parish];
            let r_km = 1.4 * rng.random::<f64>().sqrt();
            let theta = std::f64::consts::TAU * rng.random::<f64>();
            let dlat = r_km * theta.sin() / 111.32;
            let dlon = r_km * theta.cos() / (111.32 * p.lat.to_radians().cos());
            (
                ((p.lon + dlon) * 1e6).round() as i64,
                ((p.lat + dlat) * 1e6).round() as i64,
            )
        })
        .collect()
}

fn housing_csv(geo: &Geography, pop: &Population, seed: u64) -> Result<Vec<u8>, DemoError> {
    let f = HOUSING_AREAS_FILE;
    let mut w = writer(b',');
    w.write_record(HOUSING_HEADER).map_err(csv_err(f))?;
    let coords = housing_coordinates(geo, pop, seed);
    let mut order: Vec<usize> = (0..pop.areas.len()).collect();
    order.sort_by(|&a, &b| pop.areas[a].code.cmp(&pop.areas[b].code));
    for i in order {
        let a = &pop.areas[i];
        let (lon, lat) = coords[i];
        w.write_record([
            a.code.as_str(),
            a.spec.name,
            a.spec.municipality,
            geo.parishes[a.parish].code.as_str(),
            &micro_degrees(lon),
            &micro_degrees(lat),
            a.spec.kind.as_str(),
        ])
        .map_err(csv_err(f))?;
    }
    finish(f, w)
}

fn folk1a_csv(geo: &Geography, pop: &Population) -> Result<Vec<u8>, DemoError> {
    let f = FOLK1A_FILE;
    let mut w = writer(b';');
    w.write_record(FOLK1A_HEADER).map_err(csv_err(f))?;
    // Region first (StatBank lists regions before municipalities), then municipalities.
    let mut region = [crate::population::ZERO; N_YEARS];
    for m in &pop.municipality {
        for (yi, r) in region.iter_mut().enumerate() {
            for s in 0..2 {
                for a in 0..100 {
                    r[s][a] += m[yi][s][a];
                }
            }
        }
    }
    let mut areas: Vec<(&str, &[crate::population::SexAge; N_YEARS])> =
        vec![(geo.region.region.code.as_str(), &region)];
    for (mi, m) in geo.municipalities.iter().enumerate() {
        areas.push((m.code.as_str(), &pop.municipality[mi]));
    }
    let periods: Vec<String> = YEARS.iter().map(|y| format!("{y}K1")).collect();
    for (code, counts) in areas {
        for sex in ["TOT", "1", "2"] {
            let mut ages = vec!["IALT".to_string()];
            ages.extend((0..100).map(|a| a.to_string()));
            for (ai, age) in ages.iter().enumerate() {
                for (yi, period) in periods.iter().enumerate() {
                    let c = &counts[yi];
                    let value: u64 = match (sex, ai) {
                        ("TOT", 0) => sum_ages(c, 0, 99),
                        ("TOT", _) => c[0][ai - 1] + c[1][ai - 1],
                        (_, 0) => {
                            let s = usize::from(sex == "2");
                            c[s].iter().sum()
                        }
                        (_, _) => c[usize::from(sex == "2")][ai - 1],
                    };
                    w.write_record([code, sex, age.as_str(), period.as_str(), &value.to_string()])
                        .map_err(csv_err(f))?;
                }
            }
        }
    }
    finish(f, w)
}

/// One row of `indicators.csv` before sorting.
struct Row<'a> {
    area: &'a str,
    indicator: &'static str,
    year: usize,
    band: Option<usize>,
    sex: Option<usize>,
    num: String,
    den: String,
}

fn opt(v: Option<u64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn push_cells<'a>(
    rows: &mut Vec<Row<'a>>,
    area: &'a str,
    cells: &crate::indicators::Cells,
    keep: impl Fn(usize) -> bool,
) {
    for (yi, year) in cells.iter().enumerate() {
        for (ri, cell) in year.iter().enumerate() {
            if let (true, Some(Cell { num, den })) = (keep(ri), cell) {
                rows.push(Row {
                    area,
                    indicator: RATES[ri].id,
                    year: yi,
                    band: None,
                    sex: None,
                    num: opt(*num),
                    den: opt(*den),
                });
            }
        }
    }
}

fn indicators_csv(
    geo: &Geography,
    pop: &Population,
    ind: &Indicators,
) -> Result<Vec<u8>, DemoError> {
    let f = INDICATORS_FILE;
    let mut rows: Vec<Row<'_>> = Vec::new();
    for (pi, p) in geo.parishes.iter().enumerate() {
        push_cells(&mut rows, &p.code, &ind.parish[pi], |ri| {
            RATES[ri].parish_rows
        });
    }
    for (hi, a) in pop.areas.iter().enumerate() {
        push_cells(&mut rows, &a.code, &ind.housing[hi], |_| true);
        for (yi, v) in ind.housing_income_tenths[hi].iter().enumerate() {
            rows.push(Row {
                area: &a.code,
                indicator: ids::INCOME_PCT_REGION,
                year: yi,
                band: None,
                sex: None,
                num: tenths(*v),
                den: String::new(),
            });
        }
    }
    for (mi, m) in geo.municipalities.iter().enumerate() {
        push_cells(&mut rows, &m.code, &ind.municipality[mi], |_| true);
        for b in &ind.bands[mi] {
            rows.push(Row {
                area: &m.code,
                indicator: RATES[b.rate].id,
                year: b.year,
                band: Some(b.band),
                sex: Some(b.sex),
                num: opt(b.num),
                den: b.den.to_string(),
            });
        }
    }
    rows.sort_by(|a, b| {
        (a.area, a.indicator, a.year, a.band.map_or(0, |x| x + 1))
            .cmp(&(b.area, b.indicator, b.year, b.band.map_or(0, |x| x + 1)))
            .then(a.sex.map_or(0, |x| x + 1).cmp(&b.sex.map_or(0, |x| x + 1)))
    });
    let mut w = writer(b';');
    w.write_record(INDICATORS_HEADER).map_err(csv_err(f))?;
    let sexes = ["1", "2"];
    for r in &rows {
        let period = YEARS[r.year].to_string();
        w.write_record([
            r.area,
            r.indicator,
            period.as_str(),
            r.num.as_str(),
            r.den.as_str(),
            r.band.map_or("", |b| ESP_BANDS[b]),
            r.sex.map_or("", |s| sexes[s]),
            "",
        ])
        .map_err(csv_err(f))?;
    }
    finish(f, w)
}

/// `segments.csv`: per parish (sorted by code) and segment (definitions order) one total row
/// (empty age band and sex) and one row per age-band × sex cell with a non-empty base, in the
/// order of `lighed_segments::SegmentCounts::to_observations_for_storage`; an area × segment
/// with an empty base has no rows.
fn segments_csv(geo: &Geography, seg: &Segments) -> Result<Vec<u8>, DemoError> {
    let f = SEGMENTS_FILE;
    let mut w = writer(b';');
    w.write_record(INDICATORS_HEADER).map_err(csv_err(f))?;
    let mut order: Vec<usize> = (0..geo.parishes.len()).collect();
    order.sort_by(|&a, &b| geo.parishes[a].code.cmp(&geo.parishes[b].code));
    for pi in order {
        let code = geo.parishes[pi].code.as_str();
        for (s, id) in SEGMENT_IDS.iter().enumerate() {
            let [m, b] = seg.total(pi, s);
            if b == 0 {
                continue;
            }
            let mut row = |m: u64, b: u64, band: &str, sex: &str| {
                w.write_record([
                    code,
                    segments::SEGMENT_INDICATOR,
                    segments::PERIOD,
                    &m.to_string(),
                    &b.to_string(),
                    band,
                    sex,
                    id,
                ])
                .map_err(csv_err(f))
            };
            row(m, b, "", "")?;
            for (c, &[m, b]) in seg.parish[pi][s].iter().enumerate() {
                if b > 0 {
                    row(m, b, ESP_BANDS[c / 2], ["1", "2"][c % 2])?;
                }
            }
        }
    }
    finish(f, w)
}

/// Share in parts per million, `num·10⁶/den` rounded down; 0 when `den` = 0.
fn ppm(num: u64, den: u64) -> u64 {
    if den == 0 {
        0
    } else {
        (u128::from(num) * 1_000_000 / u128::from(den)) as u64
    }
}

/// Formats parts per million as a percentage with one decimal (rounded half up).
fn pct(ppm: u64) -> String {
    tenths(((ppm + 500) / 1000) as i64)
}

fn cell(cells: &crate::indicators::Cells, id: &str, yi: usize) -> (u64, u64) {
    rate_index(id)
        .and_then(|ri| cells[yi][ri])
        .map(|c| (c.num.unwrap_or(0), c.den.unwrap_or(0)))
        .unwrap_or((0, 0))
}

/// The § 61 a / § 61 b screen of the generated housing areas, as README table rows.
fn criteria_table(pop: &Population, ind: &Indicators, geo: &Geography) -> String {
    // "National" average of the conviction share = the region's synthetic average (the demo
    // has no national data), averaged over 2024 and 2025, as for the area values.
    let (y1, y2) = (N_YEARS - 2, N_YEARS - 1);
    let conv_avg = |cells: &[crate::indicators::Cells]| -> u64 {
        let mut s = [0u64; 2];
        for (k, yi) in [y1, y2].into_iter().enumerate() {
            let (n, d) = cells.iter().fold((0, 0), |(n, d), c| {
                let (a, b) = cell(c, ids::CONVICTED, yi);
                (n + a, d + b)
            });
            s[k] = ppm(n, d);
        }
        (s[0] + s[1]) / 2
    };
    let national = conv_avg(&ind.municipality).max(1);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Regional conviction share 18+ (2024–2025 average), used as the \"national average\": {} %.\n",
        pct(national)
    );
    out.push_str(
        "| code | name | residents 2025 | outside labour 18–64 (2024–25 avg) | convicted ×avg | basic edu 30–59 | income % of region | non-Western | § 61 a criteria met | § 61 b criteria met |\n",
    );
    out.push_str("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    let mut order: Vec<usize> = (0..pop.areas.len()).collect();
    order.sort_by(|&a, &b| pop.areas[a].code.cmp(&pop.areas[b].code));
    for hi in order {
        let a = &pop.areas[hi];
        let c = &ind.housing[hi];
        let avg2 = |id: &str| {
            let (n1, d1) = cell(c, id, y1);
            let (n2, d2) = cell(c, id, y2);
            (ppm(n1, d1) + ppm(n2, d2)) / 2
        };
        let outside = avg2(ids::OUTSIDE_LABOUR);
        let conv = avg2(ids::CONVICTED);
        let conv_ratio_tenths =
            ((u128::from(conv) * 10 + u128::from(national) / 2) / u128::from(national)) as i64;
        let (bn, bd) = cell(c, ids::BASIC_EDUCATION, y2);
        let basic = ppm(bn, bd);
        let income = ind.housing_income_tenths[hi][y2];
        let (nn, nd) = cell(c, ids::NON_WESTERN, y2);
        let nw = ppm(nn, nd);
        let residents = sum_ages(&pop.housing[hi][y2], 0, 99);
        let a_met = [
            outside > 400_000,
            u128::from(conv) >= 3 * u128::from(national),
            basic > 600_000,
            income < 550,
        ]
        .iter()
        .filter(|&&x| x)
        .count();
        let b_met = [
            outside > 300_000,
            u128::from(conv) >= 2 * u128::from(national),
            basic > 600_000,
            income < 650,
        ]
        .iter()
        .filter(|&&x| x)
        .count();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} % | {} | {} % | {} % | {} % | {} | {} |",
            a.code,
            a.spec.name,
            residents,
            pct(outside),
            tenths(conv_ratio_tenths),
            pct(basic),
            tenths(income),
            pct(nw),
            a_met,
            b_met
        );
    }
    let _ = geo;
    out
}

/// Renders all files; returns them in the order of [`crate::FILES`].
///
/// # Errors
/// [`DemoError::Output`] if CSV writing into memory fails.
pub fn render(
    geo: &Geography,
    pop: &Population,
    ind: &Indicators,
    seg: &Segments,
    seed: u64,
) -> Result<Vec<(String, Vec<u8>)>, DemoError> {
    let housing = housing_csv(geo, pop, seed)?;
    let folk1a = folk1a_csv(geo, pop)?;
    let indicators = indicators_csv(geo, pop, ind)?;
    let segments = segments_csv(geo, seg)?;
    let data = [
        (HOUSING_AREAS_FILE, housing),
        (FOLK1A_FILE, folk1a),
        (INDICATORS_FILE, indicators),
        (SEGMENTS_FILE, segments),
    ]
    .map(|(name, bytes)| {
        // Data rows = lines minus the header (no field contains a line break).
        let rows = count_lines(&bytes).saturating_sub(1);
        (name, bytes, rows)
    });
    let readme = readme(geo, pop, ind, seg, seed, &data);
    let mut out = vec![(README_FILE.to_string(), readme.into_bytes())];
    for (name, bytes, _) in data {
        out.push((name.to_string(), bytes));
    }
    Ok(out)
}

fn count_lines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// The README section on `segments.csv`: the model and the regional totals per segment.
fn segments_section(seg: &Segments) -> String {
    let mut s = String::new();
    s.push_str("## Citizen segments (`segments.csv`) — SYNTHETIC\n\n");
    s.push_str(
        "**SYNTHETIC: these are not counts of real people, and no microdata lies behind them.** \
They exist so that `SegmentService.ScoreSegments` has something to score on a fresh server. \
The bases are exact counts of the synthetic 2025 parish populations above (single years of age \
× sex; a person aged 16 is in band `15-19`; a segment's base in a cell = the persons of the cell \
inside the segment's base age range). The base of `vulnerable_social_housing` is the 2025 \
residents aged 18–64 of the synthetic housing areas, counted in their host parish (the demo's \
social-housing population). Members are `Binomial(persons, p)` draws per single year of age × \
sex, summed into the cells, so members ≤ base. `p` = a plausible Danish level `p₀(age, sex)` \
(assumed, not taken from a published table) shifted on the logit scale by how far the parish's \
own 2025 indicator in `indicators.csv` lies from the region (parish values shrunk towards the \
region first, so tiny parishes do not get extreme probabilities). Those indicators carry the \
generator's latent deprivation, so prevalences rise with it:\n\n\
- `neet_16_24`: `p₀` 3 % (16–17), 6 % (18–19), 9.5 % (20–24), odds ×1.15 men, ×0.9 women; \
shifted by `outside_labour_edu_18_64`.\n\
- `alone_65_chronic`: P(living alone) × P(COPD, diabetes or heart failure), taken as \
independent. Living alone: 22–45 % of men and 30–78 % of women by band (rising with age), \
shifted by `living_alone_65plus`; COPD and diabetes: the generator's age-specific rates times \
the parish's observed/expected ratio of `copd_prevalence` and `type2_diabetes_prevalence`; heart \
failure 1.5–10 % by band (×1.4 men).\n\
- `prespor_frequent_nonacute`: `p₀` 0.4–1.2 % by age (highest 80+), odds ×1.1 men; shifted by \
1.5 × the log rate ratio of `prehospital_nonacute_contacts` (frequent use is more concentrated \
than contacts).\n\
- `low_health_literacy`: `p₀` 8–13 % by age (highest 75+ and 18–24), odds ×1.1 men; shifted by \
the survey's `low_health_literacy`. Drawn for every resident as if the flag were known for all; \
in real data only survey respondents carry it, so real member counts are far smaller.\n\
- `vulnerable_social_housing`: per housing area, P(outside labour market and education), from \
the area's own `outside_labour_edu_18_64` with an age shift (lower at 18–29, higher at 50–64), \
× P(basic or no education | outside) = logistic(logit of the area's `basic_education_30_59` + \
1).\n\n\
Formulas: rustdoc of `services/demo/src/segments.rs`. Regional totals of the file:\n\n",
    );
    s.push_str("| segment | members | base | prevalence | parishes with rows |\n| --- | --- | --- | --- | --- |\n");
    for (i, id) in SEGMENT_IDS.iter().enumerate() {
        let [m, b] = seg.region_total(i);
        let parishes = (0..seg.parish.len())
            .filter(|&pi| seg.total(pi, i)[1] > 0)
            .count();
        let _ = writeln!(
            s,
            "| `{id}` | {m} | {b} | {} % | {parishes} |",
            pct(ppm(m, b))
        );
    }
    s.push('\n');
    s
}

fn readme(
    geo: &Geography,
    pop: &Population,
    ind: &Indicators,
    seg: &Segments,
    seed: u64,
    data: &[(&str, Vec<u8>, usize); 4],
) -> String {
    let mut s = String::new();
    s.push_str("SYNTHETIC DEMO DATA — not real statistics\n\n");
    s.push_str("# lighed demo extracts (Region Midtjylland)\n\n");
    let _ = write!(
        s,
        "**Every value in these files is synthetic.** Only the geography is real: municipality \
and parish codes, names and centroids come from `data/geography/` (see \
`data/geography/SOURCES.md`: Statistics Denmark, DAGI/Geodatastyrelsen). The values were \
generated by the `lighed-demo` crate (`services/demo`) with seed **{seed}**. They are shaped \
to be plausible (levels near public regional figures, deprived areas worse on health), but \
they describe no real person, area or year. Do not quote them.\n\n"
    );
    let _ = write!(
        s,
        "Regenerate (byte-identical for the same geography and seed):\n\n```sh\ncargo run -p lighed-demo -- --geography data/geography --out data/demo --seed {seed}\n```\n\n\
`cargo test -p lighed-demo` regenerates in memory and checks that every file here is \
byte-identical and that no file is missing or extra.\n\n"
    );
    s.push_str("## Files\n\n");
    s.push_str(
        "- `housing_areas.csv` (`,`, header `code,name,municipality_code,parish_code,lon,lat,name_kind`): \
the synthetic social-housing areas (almene boligområder). Code `<municipality>-B<nn>`. Each lies \
in a real parish of its municipality; lon/lat = that parish's centroid plus a seeded offset of at \
most 1.4 km. `name_kind` = `public` for real public names (the values attached are still \
synthetic, and the host parish is an approximate placement, not an official delimitation), \
`invented` for made-up names.\n",
    );
    s.push_str(
        "- `folk1a_population.csv`: a StatBank FOLK1A-style export in code presentation, lang=da: \
UTF-8 without BOM, LF, `;`, header `OMRÅDE;KØN;ALDER;TID;INDHOLD`. OMRÅDE = `082` (region = \
sum of municipalities) and the 19 municipality codes; KØN = `TOT`, `1` (men), `2` (women); \
ALDER = `IALT` and `0`…`99` (IALT = sum of 0–99; no 100+); TID = `2021K1`…`2025K1`; INDHOLD = \
persons. TOT = 1 + 2 in every cell. The age × sex shape is the real national pyramid of \
FOLK1A 2021Q2 (ages 0–99), tilted by each municipality's urbanity.\n",
    );
    s.push_str(
        "- `indicators.csv` (`;`, header \
`area_code;indicator;period;numerator;denominator;age_band;sex;segment`): long format, one row \
per area × indicator × period (× ESP2013 age band × sex for the band rows). Plain integers, `.` \
decimal for the one fractional indicator; an empty field means missing (numerator) or not \
applicable/all (denominator, age_band, sex, segment). Areas: the 623 parishes (4-digit codes), \
the housing areas (`<municipality>-B<nn>`) and the 19 municipalities (3-digit codes). \
Municipality counts are exact sums of their parishes' counts; a housing area's residents are a \
subset of its host parish's, and the parish counts include them. The municipality `population` \
of period `Y` equals FOLK1A IALT/TOT of `YK1`. Periods 2021–2025 for register indicators, 2021 \
and 2025 for survey indicators. Rows sorted by area_code, indicator (byte order), period, \
age_band (empty first, then ESP2013 order), sex (empty, `1`, `2`).\n",
    );
    s.push_str(
        "- `segments.csv` (`;`, the same header as `indicators.csv`): **SYNTHETIC** \
citizen-segment aggregates for the five focus groups of `models/segments/rm-focus-groups.toml` \
(see *Citizen segments* below): indicator `segment_persons`, period `2025`, numerator = persons \
in the segment, denominator = persons in its base population, `segment` = the segment id. Areas: \
the 623 parishes. Per parish × segment one total row (empty age_band and sex; it equals the sum \
of its cells) and one row per ESP2013 band × sex cell with a non-empty base; an absent cell \
means 0 persons, and a parish × segment with an empty base has no rows (only parishes hosting a \
housing area have `vulnerable_social_housing`). Whole numbers, members ≤ base. Rows sorted by \
area_code, segment (definitions order), then cell (total first, bands in ESP2013 order, `1` \
before `2` within a band), exactly as `lighed_segments::SegmentCounts::to_observations_for_storage` \
writes them. `lighed serve` imports it on first start, so `ScoreSegments` works out of the \
box.\n\n",
    );
    s.push_str("## Indicators\n\n| id | numerator / denominator | areas |\n| --- | --- | --- |\n");
    for (id, text, areas) in [
        (ids::POPULATION, "persons / (empty)", "all"),
        (
            ids::OUTSIDE_LABOUR,
            "persons 18–64 outside labour market and education / persons 18–64",
            "all",
        ),
        (
            ids::BASIC_EDUCATION,
            "persons 30–59 with only basic schooling / persons 30–59",
            "all",
        ),
        (
            ids::LOW_INCOME,
            "persons in households < 60 % of median income / persons",
            "all",
        ),
        (
            ids::NON_WESTERN,
            "immigrants + descendants of non-Western origin / persons",
            "all",
        ),
        (
            ids::SINGLE_ADULT,
            "households with one adult / households",
            "all",
        ),
        (
            ids::LIVING_ALONE_65,
            "persons 65+ living alone / persons 65+",
            "all",
        ),
        (
            ids::COPD,
            "persons with COPD (KOL) / persons 35+; band rows: cases / persons in band",
            "all; band × sex rows for municipalities",
        ),
        (
            ids::DIABETES,
            "persons with type 2 diabetes / persons; band rows: cases / persons in band",
            "all; band × sex rows for municipalities",
        ),
        (
            ids::PREVENTABLE_ADMISSIONS,
            "preventable admissions / persons 65+ (a rate; may exceed 1 per person)",
            "all",
        ),
        (
            ids::PREHOSPITAL,
            "prehospital contacts without acute somatic disease / persons (a rate)",
            "all",
        ),
        (
            ids::LOW_SELF_RATED_HEALTH,
            "respondents rating health fair/poor / respondents (survey)",
            "all; 2021, 2025",
        ),
        (
            ids::LOW_HEALTH_LITERACY,
            "respondents with low health literacy / respondents (survey)",
            "all; 2021, 2025",
        ),
        (
            ids::LONELINESS,
            "respondents often lonely / respondents (survey)",
            "all; 2021, 2025",
        ),
        (
            ids::DAILY_SMOKING,
            "daily smokers / respondents (survey)",
            "all; 2021, 2025",
        ),
        (
            ids::CONVICTED,
            "residents 18+ convicted (straffelov, våbenlov, euforiserende stoffer) / residents 18+",
            "housing areas, municipalities",
        ),
        (
            ids::INCOME_PCT_REGION,
            "mean gross income 15–64 excl. students as % of the regional mean, one decimal, numerator only",
            "housing areas",
        ),
    ] {
        let _ = writeln!(s, "| `{id}` | {text} | {areas} |");
    }
    let _ = write!(
        s,
        "\nBand rows: for the 19 municipalities, `{}` and `{}` by ESP2013 band (`0-4` … `90+`) × \
sex (`1`, `2`); denominators are the FOLK1A persons in the band; numerators are the \
municipality's cases apportioned over the cells in proportion to persons × age-specific rate, \
so they sum to the municipality's total row, except for {} cells deliberately left missing \
(empty numerator). Small areas (island parishes, Samsø) give small denominators and survey \
respondent counts, so suppression is exercised.\n\n",
        ids::COPD,
        ids::DIABETES,
        crate::indicators::MISSING_BAND_CELLS
    );
    s.push_str("## How the values are made\n\n");
    s.push_str(
        "See the rustdoc of `services/demo/src/population.rs` and `indicators.rs` for the \
formulas. In short: municipal totals grow from the real 1.1.2013 populations; parishes are an \
exact integer split of each municipal age × sex cell; each parish is split into the residents \
of the housing areas it hosts and the rest; each such unit has a latent deprivation factor \
(high in the named deprived housing areas) that raises the social indicators and worsens the \
health indicators through logistic (proportions) or log-linear (event rates) links, with \
Binomial/Poisson noise, a small yearly drift and per-indicator offsets.\n\n",
    );
    s.push_str(&segments_section(seg));
    s.push_str("## Totals\n\n");
    let region_pop: Vec<u64> = (0..N_YEARS)
        .map(|yi| {
            pop.municipality
                .iter()
                .map(|m| sum_ages(&m[yi], 0, 99))
                .sum()
        })
        .collect();
    s.push_str("| period | region population |\n| --- | --- |\n");
    for (yi, y) in YEARS.iter().enumerate() {
        let _ = writeln!(s, "| {y} | {} |", region_pop[yi]);
    }
    let _ = writeln!(
        s,
        "\n{} municipalities, {} parishes, {} housing areas ({} public names, {} invented).\n",
        geo.municipalities.len(),
        geo.parishes.len(),
        pop.areas.len(),
        pop.areas
            .iter()
            .filter(|a| a.spec.kind == crate::spec::NameKind::Public)
            .count(),
        pop.areas
            .iter()
            .filter(|a| a.spec.kind == crate::spec::NameKind::Invented)
            .count(),
    );
    s.push_str(
        "## § 61 a / § 61 b screen of the synthetic housing areas\n\n\
The criteria of Almenboligloven § 61 a stk. 1 (udsat: ≥ 2 of outside labour market 18–64 > \
40 % as a 2-year average; convicted ≥ 3 × the national average; only basic education 30–59 > \
60 %; income < 55 % of the region) and § 61 b (forebyggelse: non-Western > 30 % and ≥ 2 of > \
30 %; ≥ 2 ×; > 60 %; < 65 %), computed from these synthetic files so the reference models \
have something to find. Both rules also need ≥ 1,000 residents. Synthetic values, not the \
official lists.\n\n",
    );
    s.push_str(&criteria_table(pop, ind, geo));
    s.push_str("\n## Files and checksums\n\n| file | bytes | data rows | sha256 |\n| --- | --- | --- | --- |\n");
    for (name, bytes, rows) in data {
        let digest = hex::encode(Sha256::digest(bytes));
        let _ = writeln!(s, "| `{name}` | {} | {rows} | `{digest}` |", bytes.len());
    }
    s
}

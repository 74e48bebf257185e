//! Hand-written inputs of the synthetic model: which housing areas exist, where they sit,
//! how deprived they are meant to be, which parishes are town parishes, the national age
//! pyramid the municipal pyramids are shaped from, and the age-specific disease rates.
//!
//! Everything here is a *modelling assumption* for synthetic data, except
//! [`NATIONAL_AGE_SEX_2021Q2`], which is real (Statistics Denmark, see its doc).

/// Whether a housing-area name is a real, public name or invented for the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A real, publicly used name (the values attached to it are still synthetic).
    Public,
    /// A made-up name such as "Boligområde Skive Nord".
    Invented,
}

impl NameKind {
    /// The `name_kind` column value.
    pub fn as_str(self) -> &'static str {
        match self {
            NameKind::Public => "public",
            NameKind::Invented => "invented",
        }
    }
}

/// One synthetic social-housing area (almene boligområde).
#[derive(Debug, Clone, Copy)]
pub struct HousingAreaSpec {
    /// 3-digit code of the municipality it lies in.
    pub municipality: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Public or invented name.
    pub kind: NameKind,
    /// Name of the host parish in that municipality (an approximate, plausible placement,
    /// not an official delimitation).
    pub parish: &'static str,
    /// Target residents on 1 January 2025 (synthetic; for the named areas on the 2024
    /// kombineret-udlejning list, in the spirit of that list's resident counts).
    pub residents_2025: u32,
    /// Latent deprivation on the model's logit scale (0 = regional typical parish).
    /// About 2–2.8 makes a § 61 b forebyggelsesområde likely, about ≥ 3 a § 61 a udsat
    /// boligområde (see `indicators::RATES` for how it moves each indicator).
    pub deprivation: f64,
    /// Target share of residents of non-Western origin.
    pub non_western: f64,
}

const fn ha(
    municipality: &'static str,
    name: &'static str,
    kind: NameKind,
    parish: &'static str,
    residents_2025: u32,
    deprivation: f64,
    non_western: f64,
) -> HousingAreaSpec {
    HousingAreaSpec {
        municipality,
        name,
        kind,
        parish,
        residents_2025,
        deprivation,
        non_western,
    }
}

use NameKind::{Invented as I, Public as P};

/// The synthetic housing areas, in code-sequence order within each municipality
/// (the n-th entry of a municipality gets code `<municipality>-B<nn>`).
pub const HOUSING_AREAS: &[HousingAreaSpec] = &[
    // Herning (pilot). Holtbjerg, Fruehøj/Porshøj and Brændgårdsparken became
    // forebyggelsesområder on 1.12.2021 (herningfolkeblad.dk, DANISH-DATA.md §3.3).
    ha("657", "Holtbjerg", P, "Sankt Johannes", 2100, 2.7, 0.38),
    ha("657", "Fruehøj/Porshøj", P, "Gullestrup", 1700, 2.3, 0.36),
    ha("657", "Brændgårdsparken", P, "Hedeager", 1250, 2.2, 0.34),
    ha(
        "657",
        "Boligområde Herning Nord",
        I,
        "Herning",
        1050,
        1.2,
        0.15,
    ),
    ha(
        "657",
        "Boligområde Herning Øst",
        I,
        "Fredens",
        900,
        1.0,
        0.12,
    ),
    ha("657", "Boligområde Tjørring", I, "Tjørring", 750, 0.7, 0.10),
    // Aarhus.
    ha("751", "Gellerup/Toveshøj", P, "Gellerup", 6000, 3.9, 0.80),
    ha("751", "Bispehaven", P, "Hasle", 1500, 3.2, 0.68),
    ha("751", "Håndværkerparken", P, "Hasle", 1190, 3.1, 0.62),
    ha("751", "Skovgårdsparken", P, "Brabrand", 1400, 2.5, 0.52),
    ha("751", "Langkærparken", P, "Tilst", 1150, 2.3, 0.45),
    ha("751", "Boligområde Viby Syd", I, "Viby", 1300, 1.6, 0.28),
    ha(
        "751",
        "Boligområde Aarhus Nord",
        I,
        "Skejby",
        1600,
        1.8,
        0.33,
    ),
    ha(
        "751",
        "Boligområde Tranbjerg",
        I,
        "Tranbjerg",
        800,
        1.0,
        0.15,
    ),
    ha("751", "Boligområde Lystrup", I, "Lystrup", 950, 1.1, 0.14),
    ha("751", "Boligområde Holme", I, "Holme", 1100, 1.4, 0.22),
    // Randers.
    ha(
        "730",
        "Gl. Jennumparken",
        P,
        "Sankt Andreas",
        1300,
        3.1,
        0.55,
    ),
    ha("730", "Glarbjergvej-området", P, "Enghøj", 1100, 2.9, 0.48),
    ha(
        "730",
        "Boligområde Randers Nord",
        I,
        "Dronningborg",
        1200,
        1.7,
        0.25,
    ),
    ha("730", "Boligområde Kristrup", I, "Kristrup", 850, 1.2, 0.14),
    ha(
        "730",
        "Boligområde Randers Vest",
        I,
        "Sankt Clemens",
        1000,
        1.5,
        0.20,
    ),
    // Horsens.
    ha("615", "Sundparken", P, "Vor Frelsers", 1400, 3.2, 0.62),
    ha(
        "615",
        "Boligområde Horsens Nord",
        I,
        "Klostersogn",
        1250,
        2.0,
        0.33,
    ),
    ha(
        "615",
        "Boligområde Sønderbro",
        I,
        "Sønderbro",
        1050,
        1.5,
        0.22,
    ),
    ha("615", "Boligområde Torsted", I, "Torsted", 700, 0.9, 0.12),
    // Silkeborg.
    ha(
        "740",
        "Boligområde Silkeborg Nord",
        I,
        "Alderslyst",
        1350,
        2.1,
        0.32,
    ),
    ha(
        "740",
        "Boligområde Silkeborg Øst",
        I,
        "Mariehøj",
        1000,
        1.3,
        0.18,
    ),
    ha("740", "Boligområde Balle", I, "Balle", 650, 0.8, 0.10),
    // Viborg.
    ha(
        "791",
        "Boligområde Viborg Vest",
        I,
        "Vestervang",
        1200,
        1.9,
        0.30,
    ),
    ha("791", "Boligområde Houlkær", I, "Houlkær", 1100, 1.6, 0.25),
    ha(
        "791",
        "Boligområde Bjerringbro",
        I,
        "Bjerringbro",
        600,
        0.9,
        0.10,
    ),
    // Holstebro. Trekanten left the udsatte list in 2019 (dr.dk, DANISH-DATA.md §3.3).
    ha("661", "Trekanten", P, "Nørrelands", 1300, 2.2, 0.33),
    ha(
        "661",
        "Boligområde Holstebro Øst",
        I,
        "Måbjerg",
        950,
        1.2,
        0.15,
    ),
    ha(
        "661",
        "Boligområde Holstebro Syd",
        I,
        "Holstebro",
        1050,
        1.4,
        0.18,
    ),
    // The other municipalities (invented names).
    ha("779", "Boligområde Skive Nord", I, "Skive", 1100, 1.6, 0.20),
    ha("779", "Boligområde Egeris", I, "Egeris", 800, 1.1, 0.12),
    ha("756", "Boligområde Ikast Øst", I, "Ikast", 1000, 1.4, 0.20),
    ha("756", "Boligområde Brande Syd", I, "Brande", 700, 1.1, 0.15),
    ha(
        "760",
        "Boligområde Ringkøbing Nord",
        I,
        "Ringkøbing",
        600,
        0.9,
        0.10,
    ),
    ha(
        "760",
        "Boligområde Skjern Vest",
        I,
        "Skjern",
        750,
        1.0,
        0.12,
    ),
    ha(
        "671",
        "Boligområde Struer Nord",
        I,
        "Struer",
        600,
        1.3,
        0.14,
    ),
    ha("665", "Boligområde Lemvig Syd", I, "Lemvig", 450, 1.0, 0.08),
    ha(
        "706",
        "Boligområde Ebeltoft",
        I,
        "Ebeltoft-Dråby-Handrup",
        500,
        0.8,
        0.08,
    ),
    ha(
        "707",
        "Boligområde Grenaa Vest",
        I,
        "Grenaa",
        1200,
        1.9,
        0.25,
    ),
    ha(
        "707",
        "Boligområde Grenaa Nord",
        I,
        "Grenaa",
        650,
        1.3,
        0.15,
    ),
    ha("710", "Boligområde Hadsten", I, "Hadsten", 550, 0.7, 0.08),
    ha("727", "Boligområde Odder Nord", I, "Odder", 700, 1.0, 0.10),
    ha(
        "746",
        "Boligområde Skanderborg Vest",
        I,
        "Skanderborg",
        900,
        1.0,
        0.12,
    ),
    ha("746", "Boligområde Ry", I, "Ry", 550, 0.7, 0.07),
    ha(
        "766",
        "Boligområde Hedensted",
        I,
        "Hedensted",
        650,
        1.0,
        0.10,
    ),
];

/// Town parishes per municipality: parishes of the main towns, which get a town-sized
/// population weight, a younger age profile and a somewhat higher latent deprivation.
/// Every other parish is rural (weight ∝ area). Names must exist in `parishes.csv` for
/// that municipality (checked at generation time).
pub const TOWN_PARISHES: &[(&str, &[&str])] = &[
    (
        "615",
        &[
            "Klostersogn",
            "Vor Frelsers",
            "Sønderbro",
            "Torsted",
            "Hatting",
        ],
    ),
    (
        "657",
        &[
            "Herning",
            "Sankt Johannes",
            "Fredens",
            "Hedeager",
            "Gullestrup",
            "Tjørring",
            "Snejbjerg",
        ],
    ),
    ("661", &["Holstebro", "Nørrelands", "Måbjerg"]),
    ("665", &["Lemvig", "Thyborøn"]),
    ("671", &["Struer"]),
    ("706", &["Ebeltoft-Dråby-Handrup", "Hornslet"]),
    ("707", &["Grenaa"]),
    ("710", &["Hadsten", "Hammel", "Grundfør"]),
    ("727", &["Odder"]),
    (
        "730",
        &[
            "Sankt Mortens",
            "Sankt Peders",
            "Sankt Clemens",
            "Sankt Andreas",
            "Enghøj",
            "Dronningborg",
            "Vorup",
            "Kristrup",
            "Hornbæk",
        ],
    ),
    (
        "740",
        &[
            "Silkeborg",
            "Mariehøj",
            "Alderslyst",
            "Balle",
            "Sejs-Svejbæk",
            "Gødvad",
        ],
    ),
    ("741", &["Tranebjerg"]),
    ("746", &["Skanderborg", "Ry", "Galten", "Hørning"]),
    (
        "751",
        &[
            "Århus Domsogn",
            "Vor Frue",
            "Sankt Markus",
            "Møllevang",
            "Sankt Pauls",
            "Langenæs",
            "Sankt Johannes",
            "Christians",
            "Åby",
            "Vejlby",
            "Risskov",
            "Hasle",
            "Skejby",
            "Brabrand",
            "Sankt Lukas",
            "Ellevang",
            "Helligånds",
            "Ravnsbjerg",
            "Gellerup",
            "Skjoldhøj",
            "Lystrup",
            "Skelager",
            "Viby",
            "Fredens",
            "Holme",
            "Tranbjerg",
            "Egå",
            "Tilst",
            "Hjortshøj",
            "Skæring",
        ],
    ),
    ("756", &["Ikast", "Brande"]),
    (
        "760",
        &["Ringkøbing", "Skjern", "Tarm", "Videbæk", "Hvide Sande"],
    ),
    ("766", &["Hedensted", "Juelsminde", "Tørring", "Løsning"]),
    ("779", &["Skive", "Egeris", "Resen"]),
    (
        "791",
        &[
            "Viborg Domsogn",
            "Søndre",
            "Asmild",
            "Vestervang",
            "Søndermark",
            "Houlkær",
            "Bjerringbro",
        ],
    ),
];

/// Small-island parishes (municipality, name): sparsely populated, so they give the small
/// denominators that exercise suppression.
pub const ISLAND_PARISHES: &[(&str, &str)] = &[
    ("615", "Endelave"),
    ("671", "Venø"),
    ("671", "Jegindø"),
    ("707", "Anholt"),
    ("727", "Tunø"),
    ("727", "Alrø"),
    ("766", "Hjarnø"),
    ("779", "Fur"),
];

/// Real national population by single year of age 0–99, men then women, on 1 April 2021
/// (Statistics Denmark FOLK1A, `2021Q2`, lang=en; saved as
/// `/work/shared/data/dst_folk1a_en_text_hele_landet_2021Q2_age_sex.csv`, from GitHub
/// raulorteg/StochasticSimulation `FOLK1A.csv`). Used only as the *shape* of the synthetic
/// municipal age pyramids; ages 100+ (1,223 persons nationally) are left out because the
/// demo extract lists ages 0–99.
pub const NATIONAL_AGE_SEX_2021Q2: [[u32; 100]; 2] = [
    [
        31649, 31863, 31595, 32009, 32342, 31077, 30332, 29822, 31016, 31510, 33492, 34294, 35272,
        34994, 35224, 34665, 34751, 35017, 34579, 35305, 37024, 36983, 37965, 38971, 39809, 41486,
        42034, 40657, 41243, 40228, 39853, 39064, 37962, 36575, 35922, 34851, 33400, 32784, 32850,
        32872, 33784, 34807, 35618, 35441, 36355, 38947, 39006, 38591, 39972, 40651, 38446, 37559,
        39076, 40929, 44471, 43365, 41942, 41248, 38459, 37099, 36369, 34689, 34359, 34045, 33380,
        32845, 31674, 31356, 31104, 29296, 29647, 29226, 29767, 31017, 31530, 30373, 27305, 24537,
        21966, 18735, 16526, 15514, 13699, 12296, 10637, 8897, 7585, 6495, 5257, 4243, 3419, 2691,
        2182, 1559, 1173, 812, 554, 356, 205, 124,
    ],
    [
        30016, 30226, 29863, 30372, 30427, 29480, 28652, 28435, 29287, 30256, 31944, 32427, 33248,
        33298, 33327, 33137, 33302, 33648, 32607, 33741, 35244, 35916, 36276, 37371, 38361, 39178,
        40853, 39058, 39565, 38724, 38394, 37712, 36118, 35067, 34336, 33763, 32280, 31963, 31788,
        32816, 33227, 34854, 35518, 35189, 35985, 39301, 39297, 38892, 40197, 40097, 38326, 37402,
        38130, 40724, 43777, 42972, 41370, 40750, 38325, 37378, 36532, 35180, 34926, 34663, 34326,
        33868, 33142, 32913, 32468, 31211, 31833, 31823, 32165, 33640, 34340, 32862, 30841, 28177,
        25488, 22201, 20144, 18927, 17378, 16528, 14351, 12690, 11388, 9949, 8622, 7629, 6584,
        5410, 4776, 3800, 3157, 2528, 1920, 1386, 958, 662,
    ],
];

/// ESP2013 5-year age bands as used in the band rows (`0-4` … `85-89`, `90+`).
pub const ESP_BANDS: [&str; 19] = [
    "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54",
    "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+",
];

/// Index into [`ESP_BANDS`] of a single year of age (ages ≥ 90 share the last band).
pub fn esp_band(age: usize) -> usize {
    (age / 5).min(18)
}

/// Synthetic COPD (KOL) prevalence by ESP band for a typical area (deprivation 0), both
/// sexes; men are multiplied by [`COPD_MALE_FACTOR`]. A plausible shape (near zero before
/// 35, rising to ~11 % at 80–84), chosen so that the regional prevalence among persons 35+
/// lands near the 4–6 % quoted in the brief; not taken from a published table.
pub const COPD_BY_BAND: [f64; 19] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.004, 0.007, 0.012, 0.02, 0.033, 0.05, 0.07, 0.09, 0.105,
    0.11, 0.10, 0.085,
];
/// Male/female ratio multiplier for COPD (synthetic).
pub const COPD_MALE_FACTOR: f64 = 1.05;

/// Synthetic type 2 diabetes prevalence by ESP band for a typical area, women; men are
/// multiplied by [`DIABETES_MALE_FACTOR`]. Plausible shape giving ~4–6 % of all persons;
/// not taken from a published table.
pub const DIABETES_BY_BAND: [f64; 19] = [
    0.0, 0.0, 0.0, 0.0006, 0.0012, 0.0025, 0.005, 0.009, 0.015, 0.025, 0.04, 0.06, 0.081, 0.106,
    0.125, 0.137, 0.137, 0.125, 0.106,
];
/// Male/female ratio multiplier for type 2 diabetes (synthetic).
pub const DIABETES_MALE_FACTOR: f64 = 1.3;

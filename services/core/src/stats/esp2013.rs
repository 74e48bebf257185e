//! The European Standard Population 2013 in 19 five-year age bands, and their labels.
//!
//! Weights (total 100,000) as published by Eurostat (*Revision of the European Standard
//! Population*, 2013) with the 0 and 1–4 bands merged into 0–4 and 90–94 and 95+ merged into
//! 90+, which is the `esp2013` data set of PHEindicatormethods (METHODS.md §4.2).

/// The 19 age-band labels in order, as lighed reads them in CSV input.
pub const AGE_BANDS: [&str; 19] = [
    "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54",
    "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+",
];

/// ESP 2013 weights in the order of [`AGE_BANDS`]; they sum to 100,000.
pub const ESP2013: [f64; 19] = [
    5000.0, 5500.0, 5500.0, 5500.0, 6000.0, 6000.0, 6500.0, 7000.0, 7000.0, 7000.0, 7000.0, 6500.0,
    6000.0, 5500.0, 5000.0, 4000.0, 2500.0, 1500.0, 1000.0,
];

/// The position of an age-band label in [`AGE_BANDS`] (surrounding spaces ignored; an en dash
/// `–` is accepted for `-`).
pub fn band_index(label: &str) -> Option<usize> {
    let t = label.trim().replace('–', "-");
    AGE_BANDS.iter().position(|b| *b == t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_sum_to_100000_and_labels_round_trip() {
        assert_eq!(ESP2013.iter().sum::<f64>(), 100_000.0);
        for (i, b) in AGE_BANDS.iter().enumerate() {
            assert_eq!(band_index(b), Some(i));
        }
        assert_eq!(band_index(" 10–14 "), Some(2));
        assert_eq!(band_index("95+"), None);
    }
}

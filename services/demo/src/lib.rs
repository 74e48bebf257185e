//! Synthetic demo data generator (see issue 3).

//! The yearly participation of a partner commune, from the Métropole's grid
//! (`docs/partners.md`, deliberation n° 2018-3039): a population band × the offer, collected
//! from fiscal year 2019, pilot communes paying half in 2019 only. The deliberation leaves the
//! band boundaries open ("< 5 000", "> 5 000 et < 10 000"…); a boundary value belongs to the
//! **higher** band here (5,000 inhabitants → the second band), and every listing says so.
//!
//! Amounts are whole euros, VAT included: every amount of the grid is even, so half of it is too.

use serde::Serialize;

use super::Offer;

/// The first fiscal year with a participation.
pub const FIRST_YEAR: i32 = 2019;
/// The lower bounds of the bands after the first, in inhabitants: a population equal to one
/// of them is in the band it opens.
const BAND_FLOORS: [i64; 5] = [5_000, 10_000, 20_000, 40_000, 80_000];
/// Euros per year, global offer then restricted offer, band by band.
const GRID: [(i64, i64); 6] =
    [(1_800, 1_400), (5_400, 4_200), (8_400, 6_500), (10_800, 8_400), (14_000, 10_800), (18_000, 14_000)];
/// How the bands read, in the grid's French.
const BAND_LABELS: [&str; 6] = [
    "moins de 5 000 habitants",
    "de 5 000 à moins de 10 000 habitants",
    "de 10 000 à moins de 20 000 habitants",
    "de 20 000 à moins de 40 000 habitants",
    "de 40 000 à moins de 80 000 habitants",
    "80 000 habitants et plus",
];
/// The boundary rule, stated wherever a fee is shown.
pub const BOUNDARY_NOTE: &str = "une population égale à une borne relève de la tranche supérieure";

/// The population band of `population` (0 for fewer than 5,000 … 5 for 80,000 and more).
pub fn band(population: i64) -> usize {
    BAND_FLOORS.iter().filter(|floor| population >= **floor).count()
}

pub fn band_label(band: usize) -> &'static str {
    BAND_LABELS[band.min(BAND_LABELS.len() - 1)]
}

/// What a commune owes for a fiscal year, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Participation {
    /// Euros, VAT included.
    pub amount: i64,
    /// The grid's amount before any discount (0 when nothing is owed).
    pub full_amount: i64,
    pub band: Option<&'static str>,
    /// Why the amount is what it is, when it is not simply the grid's.
    pub note: Option<&'static str>,
}

/// Who owes what: the facts about a partner the fee depends on.
#[derive(Debug, Clone, Copy)]
pub struct Payer {
    /// The Métropole bears the platform's costs and owes nothing.
    pub is_commune: bool,
    pub population: Option<i64>,
    pub offer: Offer,
    pub pilot: bool,
    /// The year it joined the partnership, when known: nothing is owed for the years before.
    pub joined_year: Option<i32>,
}

fn nothing(note: &'static str) -> Participation {
    Participation { amount: 0, full_amount: 0, band: None, note: Some(note) }
}

/// The participation of `payer` for fiscal year `year`; `None` when its population is unknown
/// (the fee cannot be computed, which the listing says rather than inventing one).
pub fn participation(payer: &Payer, year: i32) -> Option<Participation> {
    if !payer.is_commune {
        return Some(nothing("la Métropole porte les coûts de la plateforme"));
    }
    if year < FIRST_YEAR {
        return Some(nothing("aucune participation avant l’exercice 2019"));
    }
    if payer.joined_year.is_some_and(|joined| year < joined) {
        return Some(nothing("pas encore partenaire cet exercice"));
    }
    let population = payer.population?;
    let band = band(population);
    let (global, restricted) = GRID[band];
    let full = match payer.offer {
        Offer::Global => global,
        Offer::Restricted => restricted,
    };
    let (amount, note) = if payer.pilot && year == FIRST_YEAR {
        (full / 2, Some("commune pilote : 50 % en 2019"))
    } else {
        (full, None)
    };
    Some(Participation { amount, full_amount: full, band: Some(band_label(band)), note })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commune(population: i64, offer: Offer) -> Payer {
        Payer { is_commune: true, population: Some(population), offer, pilot: false, joined_year: Some(2019) }
    }

    fn amount(payer: &Payer, year: i32) -> i64 {
        participation(payer, year).unwrap().amount
    }

    #[test]
    fn every_band_and_both_offers_follow_the_grid() {
        // One population inside each band.
        let cases = [(1_200, 1_800, 1_400), (7_000, 5_400, 4_200), (15_000, 8_400, 6_500), (30_000, 10_800, 8_400)]
            .into_iter()
            .chain([(50_000, 14_000, 10_800), (522_000, 18_000, 14_000)]);
        for (population, global, restricted) in cases {
            assert_eq!(amount(&commune(population, Offer::Global), 2024), global, "{population} global");
            assert_eq!(amount(&commune(population, Offer::Restricted), 2024), restricted, "{population} restricted");
        }
    }

    #[test]
    fn a_boundary_value_is_in_the_higher_band() {
        // (population, band): each boundary, one below it, and the extremes.
        let cases = [
            (0, 0),
            (4_999, 0),
            (5_000, 1),
            (9_999, 1),
            (10_000, 2),
            (19_999, 2),
            (20_000, 3),
            (39_999, 3),
            (40_000, 4),
            (79_999, 4),
            (80_000, 5),
            (i64::MAX, 5),
        ];
        for (population, expected) in cases {
            assert_eq!(band(population), expected, "{population}");
        }
        assert_eq!(amount(&commune(4_999, Offer::Global), 2020), 1_800);
        assert_eq!(amount(&commune(5_000, Offer::Global), 2020), 5_400);
        assert_eq!(amount(&commune(79_999, Offer::Restricted), 2020), 10_800);
        assert_eq!(amount(&commune(80_000, Offer::Restricted), 2020), 14_000);
    }

    #[test]
    fn pilot_communes_pay_half_in_2019_only() {
        let lyon = Payer { pilot: true, ..commune(522_000, Offer::Global) };
        let pilot_2019 = participation(&lyon, 2019).unwrap();
        assert_eq!((pilot_2019.amount, pilot_2019.full_amount), (9_000, 18_000));
        assert!(pilot_2019.note.unwrap().contains("pilote"));
        assert_eq!(amount(&lyon, 2020), 18_000, "the discount is for 2019 only");
        let dardilly = Payer { pilot: true, ..commune(8_700, Offer::Restricted) };
        assert_eq!(amount(&dardilly, 2019), 2_100);
        assert_eq!(amount(&commune(8_700, Offer::Restricted), 2019), 4_200, "not a pilot: full price");
    }

    #[test]
    fn nothing_before_2019_before_joining_or_for_the_metropole() {
        assert_eq!(amount(&commune(30_000, Offer::Global), 2018), 0);
        let late = Payer { joined_year: Some(2022), ..commune(30_000, Offer::Global) };
        assert_eq!(amount(&late, 2021), 0);
        assert_eq!(amount(&late, 2022), 10_800);
        let metropole = Payer { is_commune: false, ..commune(1_400_000, Offer::Global) };
        assert_eq!(amount(&metropole, 2024), 0);
        let unknown = Payer { population: None, ..commune(0, Offer::Global) };
        assert_eq!(participation(&unknown, 2024), None, "no population, no invented fee");
    }
}

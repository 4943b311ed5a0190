//! The yearly participation of every partner, for the finance department: as a table to read,
//! or as CSV (`;`-separated, as French spreadsheets expect), with the total and the rule for
//! boundary populations.

use serde::Serialize;

use super::Partner;
use super::fees::{self, Participation};

/// One partner's line of the listing.
#[derive(Debug, Clone, Serialize)]
pub struct FeeLine {
    pub partner_id: String,
    pub name: String,
    pub insee_code: Option<String>,
    pub population: Option<i64>,
    pub offer: super::Offer,
    pub pilot: bool,
    /// `None`: the population is unknown, so the amount cannot be computed.
    pub participation: Option<Participation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FeeReport {
    pub year: i32,
    pub lines: Vec<FeeLine>,
    /// Euros, VAT included, over the lines that could be computed.
    pub total: i64,
    /// Partners whose amount could not be computed.
    pub incomplete: Vec<String>,
    pub boundary_rule: &'static str,
}

pub fn fee_report(partners: &[Partner], year: i32) -> FeeReport {
    let lines: Vec<FeeLine> = partners
        .iter()
        .map(|p| FeeLine {
            partner_id: p.id.clone(),
            name: p.name.clone(),
            insee_code: p.insee_code.clone(),
            population: p.population,
            offer: p.offer,
            pilot: p.pilot,
            participation: p.participation(year),
        })
        .collect();
    let total = lines.iter().filter_map(|l| l.participation.as_ref()).map(|p| p.amount).sum();
    let incomplete = lines.iter().filter(|l| l.participation.is_none()).map(|l| l.partner_id.clone()).collect();
    FeeReport { year, lines, total, incomplete, boundary_rule: fees::BOUNDARY_NOTE }
}

/// `18 000` (French grouping, a narrow no-break space).
pub fn euros(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('\u{202f}');
        }
        grouped.push(c);
    }
    if amount < 0 { format!("-{grouped}") } else { grouped }
}

fn csv_field(text: &str) -> String {
    if text.contains([';', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}

fn offer_label(offer: super::Offer) -> &'static str {
    match offer {
        super::Offer::Global => "globale",
        super::Offer::Restricted => "restreinte",
    }
}

impl FeeReport {
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "partenaire;code INSEE;population;tranche;offre;pilote;montant (€ TTC);montant avant réduction;remarque\n",
        );
        for line in &self.lines {
            let p = line.participation.as_ref();
            let fields = [
                line.name.clone(),
                line.insee_code.clone().unwrap_or_default(),
                line.population.map(|n| n.to_string()).unwrap_or_default(),
                p.and_then(|p| p.band).unwrap_or_default().to_owned(),
                offer_label(line.offer).to_owned(),
                if line.pilot { "oui" } else { "non" }.to_owned(),
                p.map(|p| p.amount.to_string()).unwrap_or_default(),
                p.map(|p| p.full_amount.to_string()).unwrap_or_default(),
                match p {
                    Some(p) => p.note.unwrap_or_default().to_owned(),
                    None => "population inconnue : montant non calculé".to_owned(),
                },
            ];
            out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(";"));
            out.push('\n');
        }
        out.push_str(&format!("Total {};;;;;;{};;\n", self.year, self.total));
        out.push_str(&format!("Règle;;;;;;;;{}\n", csv_field(self.boundary_rule)));
        out
    }

    pub fn to_text(&self) -> String {
        let mut out = format!("Participations de l’exercice {} (€ TTC)\n", self.year);
        for line in &self.lines {
            let amount = match &line.participation {
                Some(p) => format!("{:>8} €", euros(p.amount)),
                None => "       ? €".to_owned(),
            };
            let note = match &line.participation {
                Some(p) => p.note.map(|n| format!("  ({n})")).unwrap_or_default(),
                None => "  (population inconnue)".to_owned(),
            };
            out.push_str(&format!("{amount}  {}  [{}]{note}\n", line.name, offer_label(line.offer)));
        }
        out.push_str(&format!("{:>8} €  total\n", euros(self.total)));
        out.push_str(&format!("Règle : {}.", self.boundary_rule));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euros_are_grouped_by_thousands() {
        assert_eq!(euros(900), "900");
        assert_eq!(euros(18_000), "18\u{202f}000");
        assert_eq!(euros(1_234_567), "1\u{202f}234\u{202f}567");
    }

    #[test]
    fn csv_fields_with_separators_are_quoted() {
        assert_eq!(csv_field("Saint-Genis"), "Saint-Genis");
        assert_eq!(csv_field("a;b"), "\"a;b\"");
        assert_eq!(csv_field("dit \"x\""), "\"dit \"\"x\"\"\"");
    }
}

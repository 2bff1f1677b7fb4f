//! electionguard-python's manifest hash, `Manifest.crypto_hash()`, recomputed from
//! `manifest.json`, with the hash of each contest and selection description (which every
//! encrypted ballot carries as its `description_hash`).
//!
//! `hash_elems` over each object's fields, as electionguard-python 1.4 orders its cases: a
//! nested object is written as the hexadecimal of its own hash, a list as the hexadecimal of
//! the hash of its items, a string as it is (even when empty), an integer in decimal (0 as
//! "0"), and an absent value or empty list as `null`. Dates are converted to UTC and written
//! `YYYY-MM-DDTHH:MM:SSZ` (`to_iso_date_string`). The manifest's `candidates` and
//! `spec_version` are not hashed: electionguard-python leaves them out.

use std::collections::BTreeMap;

use num_bigint::BigUint;

use crate::error::Result;
use crate::json::Node;
use crate::manifest::ManifestContest;
use crate::report::Tally;
use crate::v1::hash::{Hasher, Item, hex};

/// The hashes of one manifest.
pub struct ManifestHashes {
    /// The manifest's `election_scope_id`, which names it in failures.
    pub scope_id: String,
    /// `Manifest.crypto_hash()`.
    pub manifest: BigUint,
    /// Each contest description's hash by contest object_id.
    pub contests: BTreeMap<String, BigUint>,
    /// Each selection description's hash by (contest object_id, selection object_id).
    pub selections: BTreeMap<(String, String), BigUint>,
}

/// A ballot contest as the manifest check reads it.
pub trait DescribedContest {
    /// Its object_id, its `description_hash`, and each of its selections' (object_id,
    /// `description_hash`), placeholders left out.
    fn described(&self) -> (&str, &BigUint, Vec<(&str, &BigUint)>);
}

/// One description hash a ballot gives a contest or one of its selections.
struct Given<'r> {
    ballot: &'r str,
    hash: &'r BigUint,
}

impl ManifestHashes {
    /// The manifest hash check: `Manifest.crypto_hash()` of manifest.json is `published` (the
    /// context's manifest_hash), and each contest and selection of `manifest` hashes to the
    /// description hash every ballot (id, contests) of `ballots` gives it, so a failure names the contest or
    /// selection that differs from the one the ballots were encrypted for. A ballot contest or
    /// selection that is not in the manifest is left to the steps that check the ballots.
    pub fn check<'r, C: DescribedContest + 'r>(
        &self,
        published: &BigUint,
        manifest: &[ManifestContest],
        ballots: impl Iterator<Item = (&'r str, &'r [C])>,
        tally: &mut Tally,
    ) {
        tally.item(
            || format!("manifest {}", self.scope_id),
            (self.manifest != *published).then(|| {
                format!(
                    "manifest.json hashes to {}; the context's manifest_hash is {}",
                    hex(&self.manifest),
                    hex(published)
                )
            }),
        );
        // The first ballot that gives each item another hash.
        let mut differing: BTreeMap<(&str, Option<&str>), Given> = BTreeMap::new();
        for (ballot, contests) in ballots {
            for contest in contests {
                let (cid, hash, selections) = contest.described();
                let mut note =
                    |key: (&'r str, Option<&'r str>), computed: Option<&BigUint>, hash| {
                        if computed.is_some_and(|c| c != hash) {
                            differing.entry(key).or_insert(Given { ballot, hash });
                        }
                    };
                note((cid, None), self.contests.get(cid), hash);
                for (sid, hash) in selections {
                    let computed = self.selections.get(&(cid.to_string(), sid.to_string()));
                    note((cid, Some(sid)), computed, hash);
                }
            }
        }
        let reason = |computed: Option<&BigUint>, key: (&str, Option<&str>)| {
            let (computed, g) = (computed?, differing.get(&key)?);
            Some(format!(
                "manifest.json's description hashes to {}; ballot {} gives description_hash {}",
                hex(computed),
                g.ballot,
                hex(g.hash)
            ))
        };
        for contest in manifest {
            let cid = contest.id.as_str();
            for (sid, _) in &contest.selections {
                let computed = self.selections.get(&(contest.id.clone(), sid.clone()));
                tally.item(
                    || format!("selection {cid}/{sid}"),
                    reason(computed, (cid, Some(sid))),
                );
            }
            tally.item(
                || format!("contest {cid}"),
                reason(self.contests.get(cid), (cid, None)),
            );
        }
    }
}

/// Hash the manifest `root` (the parsed `manifest.json`) with `hasher`, the record's hash.
pub fn compute(root: &Node, hasher: &Hasher) -> Result<ManifestHashes> {
    let h = Fields { hasher };
    let mut contests = BTreeMap::new();
    let mut selections = BTreeMap::new();
    let mut contest_items = Vec::new();
    for c in root.get("contests")?.array()? {
        let id = c.get("object_id")?.str()?.to_string();
        let mut selection_items = Vec::new();
        for s in c.get("ballot_selections")?.array()? {
            let hash = hasher.hash(&[
                h.text(&s, "object_id")?,
                h.int(&s, "sequence_order")?,
                h.text(&s, "candidate_id")?,
            ]);
            selection_items.push(Item::Text(hex(&hash)));
            selections.insert((id.clone(), s.get("object_id")?.str()?.to_string()), hash);
        }
        let hash = hasher.hash(&[
            h.text(&c, "object_id")?,
            h.int(&c, "sequence_order")?,
            h.text(&c, "electoral_district_id")?,
            h.text(&c, "vote_variation")?,
            h.international(&c, "ballot_title")?,
            h.international(&c, "ballot_subtitle")?,
            h.text(&c, "name")?,
            h.int(&c, "number_elected")?,
            h.int(&c, "votes_allowed")?,
            Item::Seq(selection_items),
        ]);
        contest_items.push(Item::Text(hex(&hash)));
        contests.insert(id, hash);
    }
    let units = h.list(root, "geopolitical_units", |u| {
        Ok(vec![
            h.text(u, "object_id")?,
            h.text(u, "name")?,
            h.text(u, "type")?,
            h.contact(u, "contact_information")?,
        ])
    })?;
    let parties = h.list(root, "parties", |p| {
        Ok(vec![
            h.text(p, "object_id")?,
            // A party's name defaults to an empty InternationalizedText, not to None.
            h.international_or_empty(p, "name")?,
            h.text(p, "abbreviation")?,
            h.text(p, "color")?,
            h.text(p, "logo_uri")?,
        ])
    })?;
    let styles = h.list(root, "ballot_styles", |b| {
        Ok(vec![
            h.text(b, "object_id")?,
            h.strings(b, "geopolitical_unit_ids")?,
            h.strings(b, "party_ids")?,
            h.text(b, "image_uri")?,
        ])
    })?;
    let manifest = hasher.hash(&[
        h.text(root, "election_scope_id")?,
        h.text(root, "type")?,
        h.date(root, "start_date")?,
        h.date(root, "end_date")?,
        h.international(root, "name")?,
        h.contact(root, "contact_information")?,
        units,
        parties,
        Item::Seq(contest_items),
        styles,
    ]);
    Ok(ManifestHashes {
        scope_id: root.get("election_scope_id")?.str()?.to_string(),
        manifest,
        contests,
        selections,
    })
}

/// Each kind of field of a manifest object as an item of `hash_elems`.
struct Fields<'h> {
    hasher: &'h Hasher,
}

impl Fields<'_> {
    /// A string field; `null` when absent.
    fn text(&self, node: &Node, key: &str) -> Result<Item<'static>> {
        Ok(match node.opt(key) {
            Some(n) => Item::Text(n.str()?.to_string()),
            None => Item::Null,
        })
    }

    /// An integer field; `null` when absent.
    fn int(&self, node: &Node, key: &str) -> Result<Item<'static>> {
        Ok(match node.opt(key) {
            Some(n) => Item::Text(n.u64()?.to_string()),
            None => Item::Null,
        })
    }

    /// A list of strings; `null` when absent or empty.
    fn strings(&self, node: &Node, key: &str) -> Result<Item<'static>> {
        let Some(list) = node.opt(key) else {
            return Ok(Item::Null);
        };
        let items = list
            .array()?
            .iter()
            .map(|s| Ok(Item::Text(s.str()?.to_string())))
            .collect::<Result<Vec<_>>>()?;
        Ok(Item::Seq(items))
    }

    /// A list of objects, each hashed from the fields `fields` gives; `null` when absent or
    /// empty.
    fn list(
        &self,
        node: &Node,
        key: &str,
        fields: impl Fn(&Node) -> Result<Vec<Item<'static>>>,
    ) -> Result<Item<'static>> {
        let Some(list) = node.opt(key) else {
            return Ok(Item::Null);
        };
        let items = list
            .array()?
            .iter()
            .map(|o| Ok(self.object(&fields(o)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Item::Seq(items))
    }

    /// A nested object: the hexadecimal of its hash.
    fn object(&self, fields: &[Item]) -> Item<'static> {
        Item::Text(hex(&self.hasher.hash(fields)))
    }

    /// An `InternationalizedText`: H([H(value, language), …]); `null` when absent.
    fn international(&self, node: &Node, key: &str) -> Result<Item<'static>> {
        match node.opt(key) {
            Some(_) => self.international_or_empty(node, key),
            None => Ok(Item::Null),
        }
    }

    /// An `InternationalizedText` that is an empty one when absent.
    fn international_or_empty(&self, node: &Node, key: &str) -> Result<Item<'static>> {
        let languages = match node.opt(key) {
            Some(text) => self.list(&text, "text", |l| {
                Ok(vec![self.text(l, "value")?, self.text(l, "language")?])
            })?,
            None => Item::Null,
        };
        Ok(self.object(&[languages]))
    }

    /// A `ContactInformation`: H(name, address_line, email, phone); `null` when absent.
    fn contact(&self, node: &Node, key: &str) -> Result<Item<'static>> {
        let Some(c) = node.opt(key) else {
            return Ok(Item::Null);
        };
        let annotated = |a: &Node| Ok(vec![self.text(a, "annotation")?, self.text(a, "value")?]);
        Ok(self.object(&[
            self.text(&c, "name")?,
            self.strings(&c, "address_line")?,
            self.list(&c, "email", annotated)?,
            self.list(&c, "phone", annotated)?,
        ]))
    }

    /// A date, as electionguard-python's `to_iso_date_string`.
    fn date(&self, node: &Node, key: &str) -> Result<Item<'static>> {
        let n = node.get(key)?;
        let text = n.str()?;
        utc_date(text)
            .map(Item::Text)
            .ok_or_else(|| n.error("is not an ISO 8601 date and time (YYYY-MM-DDTHH:MM:SS)"))
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]` in UTC as `YYYY-MM-DDTHH:MM:SSZ`, the fraction
/// dropped. A time without an offset is taken as it is (Python's naive datetime).
fn utc_date(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let digits = |from: usize, len: usize| -> Option<i64> {
        let part = text.get(from..from + len)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if bytes.len() < 19 || bytes[4] != b'-' || bytes[7] != b'-' || bytes[13] != b':' {
        return None;
    }
    if !matches!(bytes[10], b'T' | b' ') || bytes[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60;
    if !valid {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let end = fraction
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(fraction.len());
        if end == 0 {
            return None;
        }
        rest = &fraction[end..];
    }
    let offset_minutes = match rest {
        "" | "Z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let r = &rest[1..];
            if r.len() != 5 || r.as_bytes()[2] != b':' {
                return None;
            }
            let (h, m) = (r[..2].parse::<i64>().ok()?, r[3..].parse::<i64>().ok()?);
            if h > 23
                || m > 59
                || !r[..2]
                    .bytes()
                    .chain(r[3..].bytes())
                    .all(|b| b.is_ascii_digit())
            {
                return None;
            }
            sign * (h * 60 + m)
        }
    };
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_minutes * 60;
    let (days, in_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (y, m, d) = fairtally_results::civil_from_days(days);
    if !(0..=9999).contains(&y) {
        return None;
    }
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    ))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm; the
/// inverse of `fairtally_results::civil_from_days`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_in_utc() {
        let cases = [
            ("2020-03-01T08:00:00-05:00", "2020-03-01T13:00:00Z"),
            ("2020-03-01T13:00:00Z", "2020-03-01T13:00:00Z"),
            ("2020-03-01T20:00:00-05:00", "2020-03-02T01:00:00Z"),
            ("2020-12-31T23:30:00.250-01:00", "2021-01-01T00:30:00Z"),
            ("2024-03-01T00:10:00+01:00", "2024-02-29T23:10:00Z"),
            ("2020-03-01T08:00:00", "2020-03-01T08:00:00Z"),
        ];
        for (text, utc) in cases {
            assert_eq!(utc_date(text).as_deref(), Some(utc), "{text}");
        }
        for bad in [
            "2020-02-30T00:00:00Z",
            "2020-03-01",
            "2020-03-01T25:00:00Z",
            "x",
        ] {
            assert_eq!(utc_date(bad), None, "{bad}");
        }
    }
}

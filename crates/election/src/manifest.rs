//! The election manifest: which contests are on the ballot, their options and how many
//! options a voter may choose in each.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{ElectionError, Result};
use crate::record::{ItemKind, RecordItem};

/// The largest `max_selections - min_selections + 1`: a contest's range proof has one branch
/// per allowed number of selections.
pub const MAX_SELECTION_SPAN: u64 = 256;

/// The largest ballot line: it must fit one bulletin-board entry (65,535 bytes with its kind
/// `election/ballot` and the kind's length byte).
pub const MAX_BALLOT_BYTES: u64 = fairtally_board::entry::MAX_ENTRY_LEN as u64 - 16;

/// The embedded default manifest used by `fairtally demo`: a presidential contest of five
/// candidates plus "against all" (choose exactly one) and a second contest approving up to two
/// of four options.
pub const DEFAULT_MANIFEST_JSON: &str = include_str!("default-manifest.json");

/// The longest identifier accepted for an election, contest, option or ballot style.
pub const MAX_ID_LEN: usize = 64;

/// What the authority publishes before anything else: the election's identifier, title and
/// contests. Its canonical bytes enter every hash of the election.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Short machine identifier of the election (`[a-z0-9_-]`).
    pub election: String,
    /// Human title.
    pub title: String,
    /// The contests, in ballot order.
    pub contests: Vec<Contest>,
    /// The ballot styles, when voters do not all vote in every contest: each voter is
    /// registered with one style and votes in exactly its contests. Absent (not even an empty
    /// list) when every ballot holds every contest; the canonical encoding is then the same as
    /// before styles existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ballot_styles: Option<Vec<BallotStyle>>,
}

/// One ballot style: the contests of the ballot of the voters registered with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotStyle {
    /// Identifier, unique within the manifest (`[a-z0-9_-]`).
    pub id: String,
    /// The contest ids on this ballot, in manifest order, each once, at least one.
    pub contests: Vec<String>,
}

/// The most ballot styles one manifest holds.
pub const MAX_BALLOT_STYLES: usize = 10_000;

/// One contest (race or question) of the ballot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contest {
    /// Identifier, unique within the manifest (`[a-z0-9_-]`).
    pub id: String,
    /// Human title.
    pub title: String,
    /// The fewest options a voter must choose (0 allows a blank contest).
    pub min_selections: u32,
    /// The most options a voter may choose.
    pub max_selections: u32,
    /// The options, in ballot order.
    pub options: Vec<ContestOption>,
}

/// One option (candidate or answer) of a contest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContestOption {
    /// Identifier, unique within its contest (`[a-z0-9_-]`).
    pub id: String,
    /// Human title.
    pub title: String,
}

impl Contest {
    /// How many options a voter chooses, in words: `exactly 1`, `up to 2`, `1 to 3`,
    /// `any number, up to 4`.
    pub fn limits_text(&self) -> String {
        let (min, max) = (self.min_selections, self.max_selections);
        match (min, max) {
            _ if min == max => format!("exactly {min}"),
            (0, _) => format!("up to {max}"),
            _ => format!("{min} to {max}"),
        }
    }

    /// The options as a voter needs them to write a choices file: `id (title)`, comma-separated.
    pub fn options_text(&self) -> String {
        self.options
            .iter()
            .map(|o| format!("{} ({})", o.id, o.title))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl RecordItem for Manifest {
    const KIND: ItemKind = ItemKind::Manifest;
}

impl Manifest {
    /// The embedded default manifest (see [`DEFAULT_MANIFEST_JSON`]).
    pub fn default_demo() -> Result<Self> {
        Self::from_json(
            DEFAULT_MANIFEST_JSON,
            Path::new("<embedded default manifest>"),
        )
    }

    /// Parse and validate a manifest; `path` names the source in errors.
    pub fn from_json(text: &str, path: &Path) -> Result<Self> {
        let manifest: Manifest =
            serde_json::from_str(text).map_err(|e| ElectionError::parse(path, None, e))?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Check identifiers, uniqueness and selection limits.
    pub fn validate(&self) -> Result<()> {
        check_id("election", &self.election)?;
        if self.contests.is_empty() {
            return Err(ElectionError::Manifest(
                "the manifest has no contest".into(),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for contest in &self.contests {
            check_id("contest", &contest.id)?;
            if !seen.insert(contest.id.as_str()) {
                return Err(ElectionError::Manifest(format!(
                    "contest {:?} appears twice",
                    contest.id
                )));
            }
            if contest.options.is_empty() {
                return Err(ElectionError::Manifest(format!(
                    "contest {:?} has no option",
                    contest.id
                )));
            }
            let mut options = std::collections::BTreeSet::new();
            for option in &contest.options {
                check_id("option", &option.id)?;
                if !options.insert(option.id.as_str()) {
                    return Err(ElectionError::Manifest(format!(
                        "contest {:?}: option {:?} appears twice",
                        contest.id, option.id
                    )));
                }
            }
            let n = contest.options.len() as u64;
            let (min, max) = (
                u64::from(contest.min_selections),
                u64::from(contest.max_selections),
            );
            if max == 0 || min > max || max > n {
                return Err(ElectionError::Manifest(format!(
                    "contest {:?}: need 0 <= min_selections <= max_selections <= {n} options and \
                     max_selections >= 1, got min {min}, max {max}",
                    contest.id
                )));
            }
            if max - min >= MAX_SELECTION_SPAN {
                return Err(ElectionError::Manifest(format!(
                    "contest {:?}: max_selections - min_selections must be below \
                     {MAX_SELECTION_SPAN} (the range proof has one branch per value), got {}",
                    contest.id,
                    max - min
                )));
            }
        }
        self.validate_styles()?;
        let size = self.ballot_size_bound();
        if size > MAX_BALLOT_BYTES {
            return Err(ElectionError::Manifest(format!(
                "a ballot for this manifest may take up to {size} bytes, more than the \
                 {MAX_BALLOT_BYTES} a bulletin-board entry holds: split the contests over \
                 several elections or shorten them"
            )));
        }
        Ok(())
    }

    /// Check the ballot styles: identifiers valid and unique, each style's contests known,
    /// in manifest order, each once and at least one; every contest on some style.
    fn validate_styles(&self) -> Result<()> {
        let Some(styles) = &self.ballot_styles else {
            return Ok(());
        };
        let fail = |reason: String| Err(ElectionError::Manifest(reason));
        if styles.is_empty() {
            return fail(
                "ballot_styles is an empty list: leave it out when every ballot holds every \
                 contest"
                    .into(),
            );
        }
        if styles.len() > MAX_BALLOT_STYLES {
            return fail(format!(
                "{} ballot styles, at most {MAX_BALLOT_STYLES} are allowed",
                styles.len()
            ));
        }
        let mut ids = std::collections::BTreeSet::new();
        let mut used = vec![false; self.contests.len()];
        for style in styles {
            check_id("ballot style", &style.id)?;
            if !ids.insert(style.id.as_str()) {
                return fail(format!("ballot style {:?} appears twice", style.id));
            }
            if style.contests.is_empty() {
                return fail(format!("ballot style {:?} has no contest", style.id));
            }
            let mut previous: Option<usize> = None;
            for id in &style.contests {
                let Some(position) = self.contests.iter().position(|c| &c.id == id) else {
                    return fail(format!(
                        "ballot style {:?} names contest {id:?}, which the manifest does not have",
                        style.id
                    ));
                };
                if previous.is_some_and(|p| position <= p) {
                    return fail(format!(
                        "ballot style {:?}: contest {id:?} is listed twice or out of the \
                         manifest's order",
                        style.id
                    ));
                }
                previous = Some(position);
                used[position] = true;
            }
        }
        if let Some(unused) = self.contests.iter().zip(&used).find(|(_, u)| !**u) {
            return fail(format!(
                "contest {:?} is on no ballot style: no voter could vote in it",
                unused.0.id
            ));
        }
        Ok(())
    }

    /// The ballot style `id`, if the manifest has it.
    pub fn style(&self, id: &str) -> Option<&BallotStyle> {
        self.ballot_styles.as_ref()?.iter().find(|s| s.id == id)
    }

    /// The contests a ballot of style `style` holds, in manifest order: every contest when the
    /// manifest has no styles (and `style` must be `None`), else exactly the named style's (and
    /// `style` must name one of the manifest's).
    pub fn ballot_contests(
        &self,
        style: Option<&str>,
    ) -> std::result::Result<Vec<&Contest>, String> {
        match (&self.ballot_styles, style) {
            (None, None) => Ok(self.contests.iter().collect()),
            (None, Some(s)) => Err(format!(
                "it names ballot style {s:?}, but the election has no ballot styles"
            )),
            (Some(_), None) => {
                Err("it names no ballot style, but the election has ballot styles".into())
            }
            (Some(_), Some(s)) => {
                let style = self
                    .style(s)
                    .ok_or_else(|| format!("there is no ballot style {s:?}"))?;
                Ok(self
                    .contests
                    .iter()
                    .filter(|c| style.contests.contains(&c.id))
                    .collect())
            }
        }
    }

    /// An upper bound on the canonical JSON of one ballot line for this manifest (a challenged
    /// ballot with its opening, the largest kind): fixed members, per contest its range proof
    /// (one branch per allowed number of selections), per option its ciphertext, zero-one proof
    /// and opening, each with its identifier. With ballot styles, the largest over the styles
    /// (a ballot holds one style's contests), with the style's id.
    pub fn ballot_size_bound(&self) -> u64 {
        let per_ballot = 600;
        let contests_bound = |contests: &mut dyn Iterator<Item = &Contest>| -> u64 {
            contests
                .map(|c| {
                    let branches = u64::from(c.max_selections - c.min_selections) + 1;
                    let options: u64 = c.options.iter().map(|o| 900 + o.id.len() as u64).sum();
                    150 + c.id.len() as u64 + 300 * branches + options
                })
                .sum::<u64>()
        };
        match &self.ballot_styles {
            None => contests_bound(&mut self.contests.iter()) + per_ballot,
            Some(styles) => styles
                .iter()
                .map(|s| {
                    let mut contests = self.contests.iter().filter(|c| s.contests.contains(&c.id));
                    contests_bound(&mut contests) + per_ballot + 20 + s.id.len() as u64
                })
                .max()
                .unwrap_or(per_ballot),
        }
    }

    /// The total number of options over all contests (the number of ciphertexts in a ballot).
    pub fn option_count(&self) -> usize {
        self.contests.iter().map(|c| c.options.len()).sum()
    }

    /// The contest with identifier `id`.
    pub fn contest(&self, id: &str) -> Option<&Contest> {
        self.contests.iter().find(|c| c.id == id)
    }
}

/// Whether `id` is a valid identifier (election, contest, option or ballot style): 1 to
/// [`MAX_ID_LEN`] characters of `[a-z0-9_-]`.
pub fn is_identifier(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn check_id(what: &str, id: &str) -> Result<()> {
    if is_identifier(id) {
        Ok(())
    } else {
        Err(ElectionError::Manifest(format!(
            "{what} identifier {id:?} must be 1 to {MAX_ID_LEN} characters of a-z, 0-9, '-' or '_'"
        )))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #[test]
    fn limits_read_as_words() -> Result<()> {
        let m = Manifest::default_demo()?;
        assert_eq!(m.contests[0].limits_text(), "exactly 1");
        assert_eq!(m.contests[1].limits_text(), "up to 2");
        let mut c = m.contests[1].clone();
        c.min_selections = 1;
        assert_eq!(c.limits_text(), "1 to 2");
        assert!(
            m.contests[0]
                .options_text()
                .starts_with("adams (Ana Adams), baker")
        );
        Ok(())
    }

    #[test]
    fn the_ballot_size_bound_holds_and_limits_are_enforced() -> Result<()> {
        use crate::ballot::encrypt_ballot;
        use crate::context::VotingContext;
        use fairtally_crypto::elgamal::PublicKey;
        let manifest = Manifest::default_demo()?;
        let ctx = VotingContext {
            manifest: manifest.clone(),
            base_hash: fairtally_crypto::hash::hash_parts("test", &[]),
            public_key: PublicKey::new(
                curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT
                    * fairtally_crypto::random::random_scalar(),
            ),
        };
        let (credentials, _) = crate::credential::issue(1)?;
        let selections = crate::simulation::random_selections(&manifest)?;
        let entry =
            encrypt_ballot(&ctx, &credentials[0], &selections)?.challenge(&credentials[0])?;
        let actual = crate::record::canonical_json(&entry)?.len() as u64;
        assert!(
            actual <= manifest.ballot_size_bound(),
            "{actual} > {}",
            manifest.ballot_size_bound()
        );

        let mut wide = manifest.clone();
        wide.contests[0].options = (0..300)
            .map(|i| ContestOption {
                id: format!("o{i}"),
                title: "x".into(),
            })
            .collect();
        wide.contests[0].max_selections = 300;
        assert!(
            wide.validate()
                .unwrap_err()
                .to_string()
                .contains("below 256")
        );
        wide.contests[0].min_selections = 200;
        assert!(
            wide.validate()
                .unwrap_err()
                .to_string()
                .contains("bulletin-board entry")
        );
        Ok(())
    }

    use super::*;

    #[test]
    fn default_manifest_is_valid_and_has_ten_options() -> Result<()> {
        let m = Manifest::default_demo()?;
        assert_eq!(m.contests.len(), 2);
        assert_eq!(m.option_count(), 10);
        assert_eq!(m.contests[0].options.len(), 6);
        assert_eq!(
            (m.contests[1].min_selections, m.contests[1].max_selections),
            (0, 2)
        );
        Ok(())
    }

    fn broken(edit: impl FnOnce(&mut Manifest)) -> String {
        let mut m = Manifest::default_demo().unwrap_or_else(|_| unreachable!());
        edit(&mut m);
        m.validate()
            .map(|()| String::new())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn inconsistent_manifests_are_rejected_with_reason() {
        assert!(broken(|m| m.contests.clear()).contains("no contest"));
        assert!(broken(|m| m.contests[1].id = "president".into()).contains("appears twice"));
        assert!(broken(|m| m.contests[0].options[1].id = "adams".into()).contains("appears twice"));
        assert!(broken(|m| m.contests[1].max_selections = 5).contains("max_selections"));
        assert!(broken(|m| m.contests[1].max_selections = 0).contains("max_selections"));
        assert!(broken(|m| m.contests[0].min_selections = 2).contains("min 2"));
        assert!(broken(|m| m.contests[0].id = "Pres ident".into()).contains("identifier"));
        assert!(broken(|m| m.contests[0].options.clear()).contains("no option"));
    }

    #[test]
    fn unknown_fields_and_garbage_are_parse_errors() {
        let e = Manifest::from_json("{\"election\":1}", Path::new("m.json"));
        assert!(matches!(e, Err(ElectionError::Parse { .. })));
        let e = Manifest::from_json("not json", Path::new("m.json"));
        assert!(
            e.map_err(|e| e.to_string())
                .err()
                .unwrap_or_default()
                .starts_with("m.json")
        );
    }

    /// The demo manifest with two styles: `both` (every contest) and `first` (the first).
    pub(crate) fn styled() -> Manifest {
        let mut m = Manifest::default_demo().unwrap_or_else(|_| unreachable!());
        let ids: Vec<String> = m.contests.iter().map(|c| c.id.clone()).collect();
        m.ballot_styles = Some(vec![
            BallotStyle {
                id: "both".into(),
                contests: ids.clone(),
            },
            BallotStyle {
                id: "first".into(),
                contests: ids[..1].to_vec(),
            },
        ]);
        m
    }

    fn broken_styles(edit: impl FnOnce(&mut Vec<BallotStyle>)) -> String {
        let mut m = styled();
        if let Some(styles) = m.ballot_styles.as_mut() {
            edit(styles);
        }
        m.validate()
            .map(|()| String::new())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn ballot_styles_are_validated_naming_the_item() {
        assert_eq!(broken_styles(|_| {}), "");
        assert!(broken_styles(|s| s.clear()).contains("empty list"));
        assert!(broken_styles(|s| s[1].id = "both".into()).contains("\"both\" appears twice"));
        assert!(broken_styles(|s| s[1].contests.clear()).contains("\"first\" has no contest"));
        let e = broken_styles(|s| s[1].contests.push("mayor".into()));
        assert!(e.contains("style \"first\" names contest \"mayor\""), "{e}");
        let e = broken_styles(|s| s[0].contests.reverse());
        assert!(e.contains("out of the manifest's order"), "{e}");
        let e = broken_styles(|s| s[0].contests.push("president".into()));
        assert!(e.contains("twice or out of"), "{e}");
        let e = broken_styles(|s| {
            s.remove(0);
        });
        assert!(
            e.contains("\"referendum-priorities\" is on no ballot style"),
            "{e}"
        );
        assert!(broken_styles(|s| s[0].id = "Both".into()).contains("ballot style identifier"));
    }

    #[test]
    fn a_ballot_holds_its_styles_contests() {
        let m = styled();
        let ids = |style| {
            m.ballot_contests(style)
                .map(|cs| cs.iter().map(|c| c.id.clone()).collect::<Vec<_>>())
        };
        assert_eq!(ids(Some("first")), Ok(vec!["president".to_string()]));
        assert_eq!(ids(Some("both")).map(|v| v.len()), Ok(2));
        assert!(ids(None).unwrap_err().contains("names no ballot style"));
        assert!(
            ids(Some("third"))
                .unwrap_err()
                .contains("no ballot style \"third\"")
        );
        let plain = Manifest::default_demo().unwrap_or_else(|_| unreachable!());
        assert!(plain.ballot_contests(Some("first")).is_err());
        assert_eq!(plain.ballot_contests(None).map(|c| c.len()), Ok(2));
        // The size bound is the largest style's, with its id.
        assert!(m.ballot_size_bound() > plain.ballot_size_bound());
        // Without styles the canonical form is what it always was; with them it names them.
        let json = String::from_utf8(crate::record::canonical_json(&plain).unwrap_or_default())
            .unwrap_or_default();
        assert!(!json.contains("ballot_styles"));
        let json = String::from_utf8(crate::record::canonical_json(&m).unwrap_or_default())
            .unwrap_or_default();
        assert!(json.ends_with(r#""ballot_styles":[{"id":"both","contests":["president","referendum-priorities"]},{"id":"first","contests":["president"]}]}"#), "{json}");
    }
}

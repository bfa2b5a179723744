//! 职责分离 — separation of duties (SPEC §9): the measures give the acts to
//! different bodies — the committee decides, the unit organisation pays,
//! the member signs, finance books — and whoever does an act is never the
//! one who checks or undoes it. Here, by the callers' user ids:
//!
//! - who recorded a payment does not record its receipt (the receipt is
//!   what checks the payment);
//! - who made a posting (a budget change, an allocation, a payment) does not
//!   reverse it;
//! - a reversal names who authorised it, and that is not the person
//!   reversing.
//!
//! Which role may do each act at all is the roles' business
//! (`relief_runtime::auth::Role::grants`); these rules hold whatever roles
//! one person holds.

use super::refusal::{Refusal, SEPARATION_OF_DUTIES};

/// Who does an act: the caller's user id and display name.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub user_id: &'a str,
    pub display_name: &'a str,
}

/// The receipt of a payment recorded by `paid_by` (user id).
pub fn may_record_receipt(paid_by: &str, person: Person<'_>) -> Result<(), Refusal> {
    if paid_by == person.user_id {
        return Err(Refusal::new(
            SEPARATION_OF_DUTIES,
            "you recorded this payment: its receipt is recorded by someone else",
        ));
    }
    Ok(())
}

/// The reversal of a posting made by `posted_by` (user id), authorised by
/// `authorised_by` (a name and post, as the request gives it).
pub fn may_reverse(
    posted_by: &str,
    authorised_by: &str,
    person: Person<'_>,
) -> Result<(), Refusal> {
    if posted_by == person.user_id {
        return Err(Refusal::new(
            SEPARATION_OF_DUTIES,
            "you made this posting: it is reversed by someone else",
        ));
    }
    if names(authorised_by, person) {
        return Err(Refusal::new(
            SEPARATION_OF_DUTIES,
            "a reversal is authorised by someone other than the person reversing: authorised_by names you",
        ));
    }
    Ok(())
}

/// Whether `text` names `person`: their display name or user id appears in
/// it (ignoring case and spaces), e.g. "财务科 张会计" names 张会计.
fn names(text: &str, person: Person<'_>) -> bool {
    let squeeze = |text: &str| -> String {
        text.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let text = squeeze(text);
    [person.display_name, person.user_id]
        .into_iter()
        .map(squeeze)
        // A one-character name would be found in too many texts.
        .filter(|name| name.chars().count() >= 2)
        .any(|name| text.contains(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZHANG: Person<'static> = Person {
        user_id: "u-zhang",
        display_name: "张会计",
    };

    #[test]
    fn the_payer_does_not_record_the_receipt() {
        assert!(may_record_receipt("u-zhang", ZHANG).is_err());
        assert!(may_record_receipt("u-li", ZHANG).is_ok());
    }

    #[test]
    fn the_poster_does_not_reverse() {
        assert!(may_reverse("u-zhang", "财务负责人 王主任", ZHANG).is_err());
        assert!(may_reverse("u-li", "财务负责人 王主任", ZHANG).is_ok());
    }

    #[test]
    fn the_reverser_does_not_authorise_it() {
        for authoriser in ["张会计", "财务科 张 会计", "U-ZHANG", "张会计（财务科）"]
        {
            assert!(
                may_reverse("u-li", authoriser, ZHANG).is_err(),
                "{authoriser}"
            );
        }
        let nameless = Person {
            user_id: "u",
            display_name: "",
        };
        assert!(may_reverse("u-li", "财务负责人", nameless).is_ok());
    }
}

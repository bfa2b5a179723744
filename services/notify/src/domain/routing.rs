//! 路由 — who is told, and where: a role's holders are those bound at the
//! event's node or above it (never in a sibling branch, nor below); each
//! recipient gets the inbox, and e-mail and SMS where they keep them on and
//! have an address — otherwise the skip is recorded.

use relief_proto::notify::v1::Channel;

/// Whether a binding at `binding_path` covers the node at `node_path`: the
/// binding is at the node or at one of its ancestors.
pub fn covers(binding_path: &str, node_path: &str) -> bool {
    node_path.starts_with(binding_path)
}

/// A recipient's contact details and choices, as the identity record and
/// their own preferences give them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub user_id: String,
    pub display_name: String,
    pub email: String,
    pub mobile: String,
    /// Channels the user keeps on, besides the inbox (`None`: all).
    pub channels: Option<Vec<Channel>>,
}

/// What becomes of one channel for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Send to this address.
    Send(String),
    /// Not sent, and why (recorded as SKIPPED).
    Skip(&'static str),
}

/// The outside channels (e-mail, SMS) for `contact`, given which templates
/// are switched on. A channel switched off for the event kind is left out
/// altogether; one the user turned off or has no address for is skipped.
pub fn outside_channels(
    contact: &Contact,
    template_enabled: impl Fn(Channel) -> bool,
) -> Vec<(Channel, Route)> {
    [Channel::Email, Channel::Sms]
        .into_iter()
        .filter(|channel| template_enabled(*channel))
        .map(|channel| {
            let wanted = contact
                .channels
                .as_ref()
                .is_none_or(|chosen| chosen.contains(&channel));
            let address = match channel {
                Channel::Email => contact.email.trim(),
                _ => contact.mobile.trim(),
            };
            let route = if !wanted {
                Route::Skip("the recipient turned this channel off")
            } else if address.is_empty() {
                Route::Skip(match channel {
                    Channel::Email => "the recipient has no e-mail address",
                    _ => "the recipient has no mobile number",
                })
            } else {
                Route::Send(address.to_owned())
            };
            (channel, route)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(email: &str, mobile: &str, channels: Option<Vec<Channel>>) -> Contact {
        Contact {
            user_id: "u".into(),
            display_name: "张三".into(),
            email: email.into(),
            mobile: mobile.into(),
            channels,
        }
    }

    #[test]
    fn a_binding_covers_its_node_and_below_never_a_sibling() {
        assert!(covers("/1/", "/1/4/9/"));
        assert!(covers("/1/4/9/", "/1/4/9/"));
        assert!(!covers("/1/4/10/", "/1/4/9/"));
        assert!(
            !covers("/1/4/9/12/", "/1/4/9/"),
            "below the node is not above it"
        );
        assert!(!covers("/1/4/1/", "/1/4/10/"), "a sibling sharing digits");
    }

    #[test]
    fn channels_follow_choices_and_addresses() {
        let all = |_| true;
        assert_eq!(
            outside_channels(&contact("a@b.cn", "", None), all),
            vec![
                (Channel::Email, Route::Send("a@b.cn".into())),
                (
                    Channel::Sms,
                    Route::Skip("the recipient has no mobile number")
                ),
            ]
        );
        assert_eq!(
            outside_channels(
                &contact("a@b.cn", "13800000000", Some(vec![Channel::Sms])),
                all
            ),
            vec![
                (
                    Channel::Email,
                    Route::Skip("the recipient turned this channel off")
                ),
                (Channel::Sms, Route::Send("13800000000".into())),
            ]
        );
        assert_eq!(
            outside_channels(&contact("a@b.cn", "13800000000", None), |c| c
                == Channel::Email),
            vec![(Channel::Email, Route::Send("a@b.cn".into()))]
        );
    }
}

//! 发布事件 — an event from another service's relay: accepted once by its
//! id, routed to the people who must act, rendered in Chinese, written to
//! their inboxes and scheduled for e-mail and SMS (or the skip recorded).

use std::collections::{BTreeMap, BTreeSet};

use relief_proto::common::v1::OrgRef;
use relief_proto::notify::v1 as pb;
use relief_proto::notify::v1::Channel;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use time::OffsetDateTime;

use super::Notify;
use crate::domain::commands::NewEvent;
use crate::domain::delivery::mask_destination;
use crate::domain::routing::{Contact, Route, outside_channels};
use crate::domain::template::{self, Rendered};
use crate::store::{AcceptedEvent, NewDelivery, NewInboxMessage, Store, TemplateRow};

impl Notify {
    pub(super) async fn publish(
        &self,
        caller: Caller,
        event: NewEvent,
        mut work: Work,
    ) -> Result<Done<pb::PublishEventResponse>> {
        // Events come from the services' relays only, never from a user
        // (whatever their roles).
        if caller.service_principal().is_none() {
            return Err(Error::PermissionDenied(
                "events are published by the services' own principals only".to_owned(),
            ));
        }
        let org = self.directory.org(event.org_id).await?;
        caller.authorize(Permission::NotifyPublish, &org.path)?;
        let now = OffsetDateTime::now_utc();
        let deliver_at = event.deliver_at.filter(|at| *at > now).unwrap_or(now);
        let publisher = caller.service_principal().unwrap_or_default().to_owned();
        let event_id = event.event_id.to_string();
        if !Store::accept_event(work.tx(), &event, &org, &publisher, deliver_at).await? {
            let before = Store::accepted(work.tx(), event.event_id).await?;
            return Ok(work.done(pb::PublishEventResponse {
                event_id,
                duplicate: true,
                recipient_count: before.recipient_count,
                deliveries_scheduled: before.deliveries_scheduled,
            }));
        }
        let recipients = self.recipients(&event, &org).await?;
        let people = self.people(recipients).await?;
        let templates = Store::templates_of(work.tx(), event.kind).await?;
        let mut counted = AcceptedEvent {
            recipient_count: 0,
            deliveries_scheduled: 0,
        };
        for (user_id, person) in people {
            let Some(person) = person else {
                tracing::warn!(%user_id, event_id, "a recipient the identity service does not know is passed over");
                continue;
            };
            if !person.enabled {
                continue;
            }
            let preferences = Store::preferences(work.tx(), &user_id).await?;
            let contact = Contact {
                email: preferences
                    .as_ref()
                    .and_then(|p| p.email.clone())
                    .unwrap_or(person.email),
                mobile: preferences
                    .as_ref()
                    .and_then(|p| p.mobile.clone())
                    .unwrap_or(person.mobile),
                channels: preferences.map(|p| {
                    p.channels
                        .iter()
                        .filter_map(|c| Channel::try_from(*c).ok())
                        .collect()
                }),
                user_id: person.user_id,
                display_name: person.display_name,
            };
            let mut parameters = event.parameters.clone();
            parameters.insert("recipient_name".to_owned(), contact.display_name.clone());
            counted.recipient_count += 1;
            let deliveries = self
                .tell(
                    &mut work,
                    &event,
                    &org,
                    &contact,
                    &parameters,
                    &templates,
                    deliver_at,
                )
                .await?;
            counted.deliveries_scheduled += deliveries;
        }
        Store::count_event(work.tx(), event.event_id, counted).await?;
        Ok(work.done(pb::PublishEventResponse {
            event_id,
            duplicate: false,
            recipient_count: counted.recipient_count,
            deliveries_scheduled: counted.deliveries_scheduled,
        }))
    }

    /// Each recipient as the identity service has them (`None`: unknown), in
    /// the recipients' order. Asked several at a time: an event for a whole
    /// department must not hold its transaction open for one round trip per
    /// person in turn.
    async fn people(
        &self,
        user_ids: impl IntoIterator<Item = String>,
    ) -> Result<Vec<(String, Option<crate::directory::Person>)>> {
        use futures::{StreamExt, TryStreamExt};
        /// Lookups in flight at once: enough to hide the round trips, few
        /// enough not to crowd the identity service.
        const AT_ONCE: usize = 16;
        futures::stream::iter(user_ids)
            .map(|user_id| async move {
                let person = self.directory.person(&user_id).await?;
                Ok::<_, Error>((user_id, person))
            })
            .buffered(AT_ONCE)
            .try_collect()
            .await
    }

    /// Everyone the event names, by id or by role at its node (or the node
    /// a role names) and above: each once.
    async fn recipients(&self, event: &NewEvent, org: &OrgRef) -> Result<BTreeSet<String>> {
        let mut recipients: BTreeSet<String> = event.recipient_user_ids.iter().cloned().collect();
        for (role, at) in &event.recipient_roles {
            let node = match at {
                Some(org_id) if *org_id != org.org_id => self.directory.org(*org_id).await?,
                _ => org.clone(),
            };
            recipients.extend(self.directory.role_holders(*role, &node).await?);
        }
        Ok(recipients)
    }

    /// Writes the inbox message and schedules (or skips) the outside
    /// channels for one recipient; how many messages were scheduled.
    #[allow(clippy::too_many_arguments)]
    async fn tell(
        &self,
        work: &mut Work,
        event: &NewEvent,
        org: &OrgRef,
        contact: &Contact,
        parameters: &BTreeMap<String, String>,
        templates: &[TemplateRow],
        deliver_at: OffsetDateTime,
    ) -> Result<i32> {
        let template_of = |channel: Channel| {
            templates
                .iter()
                .find(|t| t.channel == channel as i32 && t.enabled)
        };
        if let Some(inbox) = template_of(Channel::Inbox) {
            let rendered = render(inbox, parameters)?;
            Store::deliver_to_inbox(
                work.tx(),
                &NewInboxMessage {
                    event_id: event.event_id,
                    recipient_user_id: &contact.user_id,
                    kind: event.kind,
                    org_id: org.org_id,
                    org_path: &org.path,
                    org_name: &org.name,
                    title: &rendered.subject,
                    body: &rendered.body,
                    link: &event.link,
                    visible_at: deliver_at,
                },
            )
            .await?;
        }
        let sms_parameters = serde_json::to_value(parameters)
            .map_err(|err| Error::internal("SMS parameters", err))?;
        let mut scheduled = 0;
        for (channel, route) in outside_channels(contact, |c| template_of(c).is_some()) {
            let Some(template) = template_of(channel) else {
                continue;
            };
            let rendered = render(template, parameters)?;
            let destination = match &route {
                Route::Send(address) => address.as_str(),
                Route::Skip(_) => "",
            };
            let delivery = NewDelivery {
                event_id: event.event_id,
                kind: event.kind,
                recipient_user_id: &contact.user_id,
                channel,
                destination,
                subject: &rendered.subject,
                body: &rendered.body,
                sms_template_code: &template.sms_template_code,
                parameters: &sms_parameters,
                send_at: deliver_at,
            };
            match route {
                Route::Send(_) => {
                    if Store::schedule(work.tx(), &delivery).await? {
                        scheduled += 1;
                    }
                }
                Route::Skip(why) => {
                    Store::skip(
                        work.tx(),
                        &delivery,
                        why,
                        &mask_destination(channel, destination),
                    )
                    .await?;
                }
            }
        }
        Ok(scheduled)
    }
}

fn render(template: &TemplateRow, parameters: &BTreeMap<String, String>) -> Result<Rendered> {
    template::render(&template.subject, &template.body, parameters).map_err(|problem| {
        Error::FailedPrecondition {
            reason: "TEMPLATE_BROKEN",
            message: format!(
                "the template of kind {} on channel {} cannot be used: {problem}",
                template.kind, template.channel
            ),
        }
    })
}

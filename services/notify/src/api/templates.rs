//! 消息模板 — the department reads, edits (field mask, etag, reason in the
//! audit trail) and previews the Chinese templates.

use relief_proto::notify::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};

use super::{Notify, convert};
use crate::domain::commands::{Preview, TemplateChange, TemplateKey, TemplateListing};
use crate::domain::template;
use crate::store::Store;

impl Notify {
    fn may_manage(&self, caller: &Caller) -> Result<()> {
        Ok(caller.authorize(Permission::TemplateManage, &self.committee.path)?)
    }

    pub(super) async fn get_template(
        &self,
        caller: Caller,
        key: TemplateKey,
    ) -> Result<pb::Template> {
        self.may_manage(&caller)?;
        let mut conn = self.store.pool().acquire().await?;
        Store::template(&mut conn, key.kind, key.channel)
            .await?
            .map(|row| convert::template(&row))
            .ok_or_else(|| {
                Error::not_found(format!(
                    "the template of {:?} on {:?}",
                    key.kind, key.channel
                ))
            })
    }

    pub(super) async fn list_templates(
        &self,
        caller: Caller,
        query: TemplateListing,
    ) -> Result<pb::ListTemplatesResponse> {
        self.may_manage(&caller)?;
        let page = query.page;
        let mut rows = self
            .store
            .templates_page(query.kind, query.channel, page.after, page.fetch())
            .await?;
        let next_page_token = page.next(&mut rows, |row| i64::from(row.kind * 10 + row.channel));
        Ok(pb::ListTemplatesResponse {
            templates: rows.iter().map(convert::template).collect(),
            next_page_token,
        })
    }

    pub(super) async fn update_template(
        &self,
        caller: Caller,
        change: TemplateChange,
        mut work: Work,
    ) -> Result<Done<pb::Template>> {
        self.may_manage(&caller)?;
        let key = change.key;
        let before = Store::template(work.tx(), key.kind, key.channel)
            .await?
            .ok_or_else(|| {
                Error::not_found(format!(
                    "the template of {:?} on {:?}",
                    key.kind, key.channel
                ))
            })?;
        let actor = work.actor().clone();
        let after = Store::update_template(work.tx(), &change, &actor)
            .await?
            .ok_or_else(|| {
                Error::EtagMismatch(format!(
                    "the template of {:?} on {:?}",
                    key.kind, key.channel
                ))
            })?;
        work.audit(
            "template.updated",
            &format!("templates/{}/{}", before.kind, before.channel),
            &serde_json::json!({
                "subject": { "from": before.subject, "to": after.subject },
                "body": { "from": before.body, "to": after.body },
                "sms_template_code": { "from": before.sms_template_code, "to": after.sms_template_code },
                "enabled": { "from": before.enabled, "to": after.enabled },
                "reason": change.reason,
            }),
        )
        .await?;
        Ok(work.done(convert::template(&after)))
    }

    pub(super) async fn preview(
        &self,
        caller: Caller,
        preview: Preview,
    ) -> Result<pb::PreviewTemplateResponse> {
        self.may_manage(&caller)?;
        let key = preview.key;
        let mut conn = self.store.pool().acquire().await?;
        let stored = Store::template(&mut conn, key.kind, key.channel)
            .await?
            .ok_or_else(|| {
                Error::not_found(format!(
                    "the template of {:?} on {:?}",
                    key.kind, key.channel
                ))
            })?;
        let subject = preview.subject.unwrap_or(stored.subject);
        let body = preview.body.unwrap_or(stored.body);
        let rendered = template::render(&subject, &body, &preview.parameters)
            .map_err(|problem| Error::invalid("body", problem))?;
        Ok(pb::PreviewTemplateResponse {
            subject: rendered.subject,
            body: rendered.body,
            missing_parameters: rendered.missing,
        })
    }
}

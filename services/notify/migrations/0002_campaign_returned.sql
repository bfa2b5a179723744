-- 核查材料退回: the template of the event the campaign publishes when the
-- department returns a unit's summary (kind 18), on every channel.
ALTER TABLE templates DROP CONSTRAINT templates_kind_check;
ALTER TABLE templates ADD CONSTRAINT templates_kind_check CHECK (kind BETWEEN 1 AND 18);

INSERT INTO templates (kind, channel, subject, body, sms_template_code, changed_by_name, change_reason)
SELECT 18, channel,
       '{{ year }}年度核查材料已退回',
       '{{ org_name }}报送的{{ year }}年度困难党员核查材料已被工委组织部退回，请重新核查后再次报送。{% if reason %}退回原因：{{ reason }}。{% endif %}',
       CASE channel WHEN 3 THEN 'SMS_RELIEF_18' ELSE '' END,
       '系统', '初始模板'
FROM (VALUES (1), (2), (3)) AS channels (channel);

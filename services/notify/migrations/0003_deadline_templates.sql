-- 办理时限提醒 name the case: the workflow now publishes these reminders
-- (kinds 12 and 13) for each case, and "一件救助申请" alone left the reader
-- to search for which. Only the seeded texts change: a template the
-- department edited since is theirs and stays as they wrote it.
UPDATE templates
SET subject = '办理时限将到：{{ member_name }}的救助申请',
    body = '{{ org_name }}{{ member_name }}的救助申请办理时限将于{{ deadline }}到期，请及时办理。',
    version = version + 1,
    changed_by_name = '系统',
    changed_at = now(),
    change_reason = '提醒写明申请人'
WHERE kind = 12 AND version = 1 AND changed_by_id = '';

UPDATE templates
SET subject = '办理已超期：{{ member_name }}的救助申请',
    body = '{{ org_name }}{{ member_name }}的救助申请已超过办理时限（{{ deadline }}），请尽快办理。',
    version = version + 1,
    changed_by_name = '系统',
    changed_at = now(),
    change_reason = '提醒写明申请人'
WHERE kind = 13 AND version = 1 AND changed_by_id = '';

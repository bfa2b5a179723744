-- 节假日安排 2026 — the State Council's holiday schedule for 2026
-- (国务院办公厅关于2026年部分节假日安排的通知, 4 November 2025), so that
-- working-day deadlines count right from the first start. Later years are
-- the department's to put through CalendarService/PutHolidayCalendar when
-- the State Council publishes them (usually in November for the next year).
--
-- Entries as the service stores them: {"date": "YYYY-MM-DD", "kind": n,
-- "name": ...}, kind the proto's HolidayKind (1 day off, 2 make-up working
-- day). Days off include the weekend days inside a holiday, as the notice
-- counts them ("共9天"). A schedule the department already put is kept.
INSERT INTO holiday_calendars (year, entries, source, changed_by_id, changed_by_name, changed_at)
SELECT 2026,
       jsonb_agg(jsonb_build_object('date', to_char(day, 'YYYY-MM-DD'), 'kind', kind, 'name', name)
                 ORDER BY day),
       '国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）',
       'migration',
       '初始数据',
       now()
FROM (VALUES
        -- 元旦: 1月1日（周四）至3日（周六）放假调休，共3天；1月4日（周日）上班。
        (date '2026-01-01', date '2026-01-03', 1, '元旦'),
        (date '2026-01-04', date '2026-01-04', 2, '元旦'),
        -- 春节: 2月15日（腊月二十八、周日）至23日（正月初七、周一）放假调休，
        -- 共9天；2月14日（周六）、2月28日（周六）上班。
        (date '2026-02-15', date '2026-02-23', 1, '春节'),
        (date '2026-02-14', date '2026-02-14', 2, '春节'),
        (date '2026-02-28', date '2026-02-28', 2, '春节'),
        -- 清明节: 4月4日（周六）至6日（周一）放假，共3天。
        (date '2026-04-04', date '2026-04-06', 1, '清明节'),
        -- 劳动节: 5月1日（周五）至5日（周二）放假调休，共5天；5月9日（周六）上班。
        (date '2026-05-01', date '2026-05-05', 1, '劳动节'),
        (date '2026-05-09', date '2026-05-09', 2, '劳动节'),
        -- 端午节: 6月19日（周五）至21日（周日）放假，共3天。
        (date '2026-06-19', date '2026-06-21', 1, '端午节'),
        -- 中秋节: 9月25日（周五）至27日（周日）放假，共3天。
        (date '2026-09-25', date '2026-09-27', 1, '中秋节'),
        -- 国庆节: 10月1日（周四）至7日（周三）放假调休，共7天；
        -- 9月20日（周日）、10月10日（周六）上班。
        (date '2026-10-01', date '2026-10-07', 1, '国庆节'),
        (date '2026-09-20', date '2026-09-20', 2, '国庆节'),
        (date '2026-10-10', date '2026-10-10', 2, '国庆节')
     ) AS spans (first_day, last_day, kind, name),
     generate_series(first_day, last_day, interval '1 day') AS day
ON CONFLICT (year) DO NOTHING;

-- Listings page in (since, record_id) and (name, member_id) order: with these
-- a page is read in order and stops after page_size matches, instead of
-- sorting every row of a large subtree first.
CREATE INDEX records_since_id ON records (since, record_id);
CREATE INDEX members_name_id ON members (name, member_id);

-- Repos: tell the hubs' repo loops when a tag's contents or configuration change.
-- One statement-level trigger per table; PostgreSQL folds identical notifications of one
-- transaction into one, so a call that tags many builds wakes the loop once.

CREATE FUNCTION tag_content_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('kiln_tag_content', TG_TABLE_NAME);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON tag_listing
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();
CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON tag_inheritance
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();
CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON tag_packages
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();
CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON tag_config
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();
CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON tag_extra
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();
CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON group_config
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();
CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON group_package_listing
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();
CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON group_req_listing
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();
CREATE TRIGGER tag_content_notify AFTER INSERT OR UPDATE OR DELETE ON build_target_config
    FOR EACH STATEMENT EXECUTE FUNCTION tag_content_notify();

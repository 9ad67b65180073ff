-- Opening a task no longer notifies kiln_host: only the host holding a task opens it, and no
-- listener wants to hear it (host.waitTasks ignores OPEN, the repo loop waits for finished
-- tasks). A transaction that sends a NOTIFY holds PostgreSQL's notification lock until its
-- commit is flushed, so every notifying commit waits for the one before it; host.openTask no
-- longer does.

CREATE OR REPLACE FUNCTION task_notify() RETURNS trigger AS $$
BEGIN
    IF NEW.state = 0 AND (TG_OP = 'INSERT' OR OLD.state <> 0) THEN
        PERFORM pg_notify('kiln_task_work', '');
    END IF;
    IF NEW.host_id IS NOT NULL AND NEW.state <> 1
            AND (TG_OP = 'INSERT' OR NEW.state <> OLD.state OR NEW.host_id IS DISTINCT FROM OLD.host_id) THEN
        PERFORM pg_notify('kiln_host', NEW.host_id || ' ' || NEW.id || ' ' || NEW.state);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.host_id IS NOT NULL AND OLD.host_id IS DISTINCT FROM NEW.host_id THEN
        PERFORM pg_notify('kiln_host', OLD.host_id || ' ' || NEW.id || ' ' || NEW.state);
    END IF;
    IF NEW.parent IS NOT NULL AND NEW.state IN (2, 3, 5)
            AND (TG_OP = 'INSERT' OR OLD.state NOT IN (2, 3, 5)) THEN
        PERFORM pg_notify('kiln_task_done', NEW.parent::text);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;


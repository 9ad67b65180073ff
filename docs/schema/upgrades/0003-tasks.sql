-- 0003: hosts, channels, tasks, the scheduler's bookkeeping and buildroots.

-- Channels: named pools of hosts.  Tasks go to a channel; hosts listen to channels.

CREATE TABLE channels (
    id BIGSERIAL PRIMARY KEY,
    name VARCHAR(128) UNIQUE NOT NULL,
    description TEXT,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    comment TEXT
);

INSERT INTO channels (name) VALUES
    ('default'), ('createrepo'), ('maven'), ('livecd'), ('appliance'), ('vm'), ('image'), ('livemedia');

-- Build hosts.  Each has a login user (usertype HOST) named like the host.  The host row holds
-- what the builder reports (update_time, task_load, ready); host_config holds what admins set.

CREATE TABLE host (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL UNIQUE REFERENCES users(id),
    name VARCHAR(128) UNIQUE NOT NULL,
    update_time TIMESTAMPTZ,
    task_load DOUBLE PRECISION NOT NULL DEFAULT 0.0 CHECK (task_load >= 0),
    ready BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE host_config (
    host_id BIGINT NOT NULL REFERENCES host(id),
    arches TEXT,
    capacity DOUBLE PRECISION NOT NULL DEFAULT 2.0 CHECK (capacity > 1),
    description TEXT,
    comment TEXT,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, host_id),
    UNIQUE (host_id, active)
);

CREATE TABLE host_channels (
    host_id BIGINT NOT NULL REFERENCES host(id),
    channel_id BIGINT NOT NULL REFERENCES channels(id),
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event BIGINT REFERENCES events(id),
    creator_id BIGINT NOT NULL REFERENCES users(id),
    revoker_id BIGINT REFERENCES users(id),
    active BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, host_id, channel_id),
    UNIQUE (host_id, channel_id, active)
);

-- Tasks.  request is the XML-RPC methodCall text of the task's arguments and result the
-- methodResponse text the builder sent (a fault for failures), both exactly as Koji stores them.
-- waiting and awaited are TRUE, FALSE or NULL as in Koji.

CREATE TABLE task (
    id BIGSERIAL PRIMARY KEY,
    state INTEGER NOT NULL,
    create_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    start_time TIMESTAMPTZ,
    completion_time TIMESTAMPTZ,
    channel_id BIGINT NOT NULL REFERENCES channels(id),
    host_id BIGINT REFERENCES host(id),
    parent BIGINT REFERENCES task(id),
    label VARCHAR(255),
    waiting BOOLEAN,
    awaited BOOLEAN,
    owner BIGINT NOT NULL REFERENCES users(id),
    method TEXT NOT NULL,
    request TEXT NOT NULL,
    result TEXT,
    eta INTEGER,
    arch VARCHAR(16) NOT NULL,
    priority INTEGER NOT NULL,
    weight DOUBLE PRECISION NOT NULL DEFAULT 1.0 CHECK (weight >= 0),
    CONSTRAINT parent_label_sane CHECK (parent IS NOT NULL OR label IS NULL),
    CONSTRAINT host_state_sane CHECK (state NOT IN (1, 4) OR host_id IS NOT NULL),
    UNIQUE (parent, label)
);
CREATE INDEX task_by_state ON task(state);
CREATE INDEX task_by_host ON task(host_id) WHERE host_id IS NOT NULL;
CREATE INDEX task_by_parent ON task(parent) WHERE parent IS NOT NULL;
CREATE INDEX task_free_queue ON task(priority, create_time, id) WHERE state = 0;
CREATE INDEX task_by_owner ON task(owner);

-- Wake-ups for long-polling builders and waiting parent tasks, sent at commit:
--   kiln_task_work  (no payload)         a task became FREE;
--   kiln_host       ("host task state")  a task of that host changed state or was taken away;
--   kiln_task_done  (parent id)          a child of that task finished.

CREATE FUNCTION task_notify() RETURNS trigger AS $$
BEGIN
    IF NEW.state = 0 AND (TG_OP = 'INSERT' OR OLD.state <> 0) THEN
        PERFORM pg_notify('kiln_task_work', '');
    END IF;
    IF NEW.host_id IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.state <> OLD.state
                                    OR NEW.host_id IS DISTINCT FROM OLD.host_id) THEN
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

CREATE TRIGGER task_notify AFTER INSERT OR UPDATE OF state, host_id ON task
    FOR EACH ROW EXECUTE FUNCTION task_notify();

-- The scheduler's bookkeeping (Koji's names and shapes).  A run is one hand-out of a task to a
-- host; it stays active while the task is ASSIGNED or OPEN on that host.

CREATE TABLE scheduler_task_runs (
    id BIGSERIAL PRIMARY KEY,
    task_id BIGINT NOT NULL REFERENCES task(id),
    host_id BIGINT NOT NULL REFERENCES host(id),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    create_time TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX scheduler_task_runs_task ON scheduler_task_runs(task_id);
CREATE INDEX scheduler_task_runs_active ON scheduler_task_runs(host_id) WHERE active;

-- What builders report with host.updateHost(data=…) or host.setHostData: methods, maxjobs.
CREATE TABLE scheduler_host_data (
    host_id BIGINT PRIMARY KEY REFERENCES host(id),
    data JSONB NOT NULL
);

CREATE TABLE scheduler_task_refusals (
    id BIGSERIAL PRIMARY KEY,
    task_id BIGINT NOT NULL REFERENCES task(id),
    host_id BIGINT NOT NULL REFERENCES host(id),
    by_host BOOLEAN NOT NULL,
    soft BOOLEAN NOT NULL,
    msg TEXT,
    time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (task_id, host_id)
);

CREATE TABLE scheduler_log_messages (
    id BIGSERIAL PRIMARY KEY,
    task_id BIGINT REFERENCES task(id),
    host_id BIGINT REFERENCES host(id),
    msg_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    msg TEXT NOT NULL
);

-- Buildroots (filled by builds; listed by hostinfo and taskinfo).  repo_id will reference the
-- repo table once repositories land.

CREATE TABLE buildroot (
    id BIGSERIAL PRIMARY KEY,
    br_type INTEGER NOT NULL,
    cg_id BIGINT,
    cg_version TEXT,
    container_type TEXT,
    container_arch TEXT,
    host_os TEXT,
    host_arch TEXT,
    extra TEXT,
    CONSTRAINT cg_sane CHECK ((cg_id IS NULL) = (cg_version IS NULL)),
    CONSTRAINT container_sane CHECK ((container_type IS NULL) = (container_arch IS NULL))
);

CREATE TABLE standard_buildroot (
    buildroot_id BIGINT NOT NULL PRIMARY KEY REFERENCES buildroot(id),
    host_id BIGINT NOT NULL REFERENCES host(id),
    repo_id BIGINT NOT NULL,
    task_id BIGINT NOT NULL REFERENCES task(id),
    create_event BIGINT NOT NULL REFERENCES events(id) DEFAULT get_event(),
    retire_event BIGINT REFERENCES events(id),
    state INTEGER
);
CREATE INDEX standard_buildroot_host ON standard_buildroot(host_id);
CREATE INDEX standard_buildroot_task ON standard_buildroot(task_id);

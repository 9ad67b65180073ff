-- The task table is a queue: FREE tasks become ASSIGNED, OPEN, then finished, and every change
-- of state leaves a dead row version behind until VACUUM. Asking for a host's active tasks went
-- through every task the host ever ran; an index of the active ones keeps it short.
CREATE INDEX task_active_by_host ON task(host_id) WHERE state IN (1, 4);

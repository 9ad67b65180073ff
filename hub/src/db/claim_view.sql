-- A host asking for work, as the scheduler sees it ($1 = host id), read without locks.
SELECT host_config.enabled,
       host.ready,
       host_config.capacity,
       host_config.arches,
       data.data,
       load.load,
       load.ntasks,
       load.assigned,
       channels.channel_ids
FROM host
JOIN host_config ON host_config.host_id = host.id AND host_config.active IS TRUE
LEFT JOIN scheduler_host_data data ON data.host_id = host.id
CROSS JOIN (
    SELECT coalesce(sum(weight) FILTER (WHERE waiting IS NOT TRUE), 0.0)::float8 AS load,
           count(*) FILTER (WHERE waiting IS NOT TRUE) AS ntasks,
           count(*) FILTER (WHERE state = 4) AS assigned
    FROM task WHERE host_id = $1 AND state IN (1, 4)
) load
CROSS JOIN (
    SELECT coalesce(array_agg(channel_id ORDER BY channel_id), '{}'::bigint[]) AS channel_ids
    FROM host_channels WHERE host_id = $1 AND active IS TRUE
) channels
WHERE host.id = $1

"""SQLite's text of the reads in ``statements.py`` (generated: do not edit).

Made by ``python -m jupyter_branch.store.sqlgen``; ``tests/unit/test_sqlgen.py``
checks it. Each entry: the SQL, its positional parameters' names in order, and
the values of its constants.
"""

# fmt: off
SQL = {'blob': ('SELECT blobs.codec, blobs.data \nFROM blobs \nWHERE blobs.id = ?', ('id',), {}),
 'counts': ('SELECT (SELECT count(*) AS count_1 \n'
            'FROM notebooks \n'
            'WHERE notebooks.owner = ?) AS notebooks, (SELECT count(*) AS count_2 \n'
            'FROM states \n'
            'WHERE states.notebook_id IN (SELECT notebooks.id \n'
            'FROM notebooks \n'
            'WHERE notebooks.owner = ?)) AS states, (SELECT count(*) AS count_3 \n'
            'FROM cell_versions \n'
            'WHERE cell_versions.notebook_id IN (SELECT notebooks.id \n'
            'FROM notebooks \n'
            'WHERE notebooks.owner = ?)) AS cell_versions, totals.blobs, totals.content_bytes, '
            'totals.stored_bytes, (SELECT count(*) AS count_4 \n'
            'FROM running \n'
            'WHERE running.notebook_id IN (SELECT notebooks.id \n'
            'FROM notebooks \n'
            'WHERE notebooks.owner = ?)) AS running \n'
            'FROM (SELECT count(*) AS blobs, coalesce(sum(b.size), ?) AS content_bytes, '
            'coalesce(sum(length(b.data)), ?) AS stored_bytes \n'
            'FROM (SELECT blobs.size AS size, blobs.data AS data \n'
            'FROM blobs \n'
            'WHERE blobs.notebook_id IN (SELECT notebooks.id \n'
            'FROM notebooks \n'
            'WHERE notebooks.owner = ?)) AS b) AS totals',
            ('owner', 'owner', 'owner', 'owner', 'coalesce_1', 'coalesce_2', 'owner'),
            {'coalesce_1': 0, 'coalesce_2': 0}),
 'find_notebook': ('SELECT notebooks.id, notebooks.uid, notebooks.abs_path, notebooks.created, '
                   'notebooks.head_id, notebooks.deleted, notebooks.owner \n'
                   'FROM notebooks \n'
                   'WHERE notebooks.abs_path = ? AND notebooks.owner = ? AND (notebooks.owner = ? '
                   'OR notebooks.id IN (SELECT shares.notebook_id \n'
                   'FROM shares \n'
                   'WHERE shares.grantee = ?)) ORDER BY notebooks.deleted IS NOT NULL, '
                   'notebooks.id DESC\n'
                   ' LIMIT ? OFFSET ?',
                   ('path', 'whose', 'me', 'me', 'param_1', 'param_2'),
                   {'param_1': 1, 'param_2': 0}),
 'has_log_pages': ('SELECT ? AS found \n'
                   'FROM sqlite_master \n'
                   'WHERE sqlite_master.type = ? AND sqlite_master.name = ?',
                   ('param_1', 'param_2', 'param_3'),
                   {'param_1': 1, 'param_2': 'table', 'param_3': 'log_pages'}),
 'last_seq': ('SELECT coalesce(max(states.seq), ?) AS seq \n'
              'FROM states \n'
              'WHERE states.notebook_id = ?',
              ('param_1', 'nb'),
              {'param_1': 0}),
 'log': ('SELECT states.id AS id, states.parent_id AS parent, states.seq AS seq, strftime(?, '
         'states.created, ?) AS time, states.event AS event, states.cell_id AS cell_id, '
         'states.cell_index AS cell_index, states.execution_count AS execution_count, '
         'states.status AS status, CASE WHEN (states.started IS NOT NULL AND states.ended IS NOT '
         'NULL) THEN max(?, CAST(round((states.ended - states.started) * ?) AS BIGINT)) END AS '
         'duration_ms, coalesce(states.preview, ?) AS preview, states.label AS label, '
         'states.restored_from AS restored_from, states.by_user AS by_user, states.by_client AS '
         'by_client, lower(hex(substr(states.sources_key, ?, ?))) AS sources_key \n'
         'FROM states \n'
         'WHERE states.notebook_id = ? AND states.seq > ? ORDER BY states.seq',
         ('strftime_1',
          'strftime_2',
          'max_1',
          'param_1',
          'coalesce_1',
          'substr_1',
          'substr_2',
          'nb',
          'since'),
         {'coalesce_1': '',
          'max_1': 0,
          'param_1': 1000,
          'strftime_1': '%Y-%m-%dT%H:%M:%f+00:00',
          'strftime_2': 'unixepoch',
          'substr_1': 1,
          'substr_2': 8}),
 'log_json': ('SELECT CAST(coalesce(json_group_array(json_object(?, states.id, ?, '
              'states.parent_id, ?, states.seq, ?, strftime(?, states.created, ?), ?, '
              'states.event, ?, states.cell_id, ?, states.cell_index, ?, states.execution_count, '
              '?, states.status, ?, CASE WHEN (states.started IS NOT NULL AND states.ended IS NOT '
              'NULL) THEN max(?, CAST(round((states.ended - states.started) * ?) AS BIGINT)) END, '
              '?, coalesce(states.preview, ?), ?, states.label, ?, states.restored_from, ?, '
              'states.by_user, ?, states.by_client, ?, lower(hex(substr(states.sources_key, ?, '
              '?))))), ?) AS BLOB) AS coalesce_1, max(states.seq) AS max_2, count(*) AS count_1 \n'
              'FROM states \n'
              'WHERE states.notebook_id = ? AND states.seq > ? AND states.seq <= coalesce((SELECT '
              'states.seq \n'
              'FROM states \n'
              'WHERE states.notebook_id = ? AND states.seq > ? AND states.seq <= ? ORDER BY '
              'states.seq\n'
              ' LIMIT ? OFFSET ? - ?), ?)',
              ('param_1',
               'param_2',
               'param_3',
               'param_4',
               'strftime_1',
               'strftime_2',
               'param_5',
               'param_6',
               'param_7',
               'param_8',
               'param_9',
               'param_10',
               'max_1',
               'param_11',
               'param_12',
               'coalesce_2',
               'param_13',
               'param_14',
               'param_15',
               'param_16',
               'param_17',
               'substr_1',
               'substr_2',
               'coalesce_3',
               'nb',
               'since',
               'nb',
               'since',
               'until',
               'param_18',
               'limit',
               'param_19',
               'until'),
              {'coalesce_2': '',
               'coalesce_3': '[]',
               'max_1': 0,
               'param_1': 'id',
               'param_10': 'duration_ms',
               'param_11': 1000,
               'param_12': 'preview',
               'param_13': 'label',
               'param_14': 'restored_from',
               'param_15': 'by_user',
               'param_16': 'by_client',
               'param_17': 'sources_key',
               'param_18': 1,
               'param_19': 1,
               'param_2': 'parent',
               'param_3': 'seq',
               'param_4': 'time',
               'param_5': 'event',
               'param_6': 'cell_id',
               'param_7': 'cell_index',
               'param_8': 'execution_count',
               'param_9': 'status',
               'strftime_1': '%Y-%m-%dT%H:%M:%f+00:00',
               'strftime_2': 'unixepoch',
               'substr_1': 1,
               'substr_2': 8}),
 'log_page_json': ('SELECT log_pages.last_seq, log_pages.json_data AS data \n'
                   'FROM log_pages \n'
                   'WHERE log_pages.notebook_id = ? AND log_pages.after_seq = ? AND '
                   'log_pages.last_seq <= ?',
                   ('nb', 'since', 'until'),
                   {}),
 'log_page_lines': ('SELECT log_pages.last_seq, log_pages.lines_data AS data \n'
                    'FROM log_pages \n'
                    'WHERE log_pages.notebook_id = ? AND log_pages.after_seq = ? AND '
                    'log_pages.last_seq <= ?',
                    ('nb', 'since', 'until'),
                    {}),
 'log_text': ('SELECT CAST(coalesce(group_concat(printf(?, CASE WHEN (states.id = ?) THEN ? ELSE ? '
              'END, substr(states.id, ?, ?), datetime(states.created, ?), states.event, '
              'coalesce(states.status, ?), CASE WHEN (states.execution_count IS NULL) THEN ? ELSE '
              '? || CAST(states.execution_count AS TEXT) || ? END, coalesce(states.preview, ?), '
              'CASE WHEN (coalesce(states.label, ?) = ?) THEN ? ELSE ? || states.label || ? END), '
              '?), ?) AS BLOB) AS coalesce_1, max(states.seq) AS max_1, count(*) AS count_1 \n'
              'FROM states \n'
              'WHERE states.notebook_id = ? AND states.seq > ? AND states.seq <= coalesce((SELECT '
              'states.seq \n'
              'FROM states \n'
              'WHERE states.notebook_id = ? AND states.seq > ? AND states.seq <= ? ORDER BY '
              'states.seq\n'
              ' LIMIT ? OFFSET ? - ?), ?)',
              ('printf_1',
               'head',
               'param_1',
               'param_2',
               'substr_1',
               'substr_2',
               'datetime_1',
               'coalesce_2',
               'param_3',
               'param_4',
               'param_5',
               'coalesce_3',
               'coalesce_4',
               'coalesce_5',
               'param_6',
               'param_7',
               'param_8',
               'param_9',
               'coalesce_6',
               'nb',
               'since',
               'nb',
               'since',
               'until',
               'param_10',
               'limit',
               'param_11',
               'until'),
              {'coalesce_2': '',
               'coalesce_3': '',
               'coalesce_4': '',
               'coalesce_5': '',
               'coalesce_6': '',
               'datetime_1': 'unixepoch',
               'param_1': '*',
               'param_10': 1,
               'param_11': 1,
               'param_2': ' ',
               'param_3': '',
               'param_4': '[',
               'param_5': ']',
               'param_6': '',
               'param_7': ' (',
               'param_8': ')',
               'param_9': '\n',
               'printf_1': '%s %s  %s  %-8s %-11s %-6s %s%s',
               'substr_1': 1,
               'substr_2': 12}),
 'migrations': ('SELECT jupyter_branch_migrations.name \n'
                'FROM jupyter_branch_migrations ORDER BY jupyter_branch_migrations.name',
                (),
                {}),
 'notebooks': ('SELECT notebooks.id, notebooks.uid, notebooks.abs_path, notebooks.created, '
               'notebooks.head_id, notebooks.deleted, notebooks.owner, counts.n, counts.last \n'
               'FROM notebooks LEFT OUTER JOIN (SELECT states.notebook_id AS notebook_id, count(*) '
               'AS n, max(states.created) AS last \n'
               'FROM states GROUP BY states.notebook_id) AS counts ON counts.notebook_id = '
               'notebooks.id \n'
               'WHERE notebooks.owner = ? OR notebooks.id IN (SELECT shares.notebook_id \n'
               'FROM shares \n'
               'WHERE shares.grantee = ?) ORDER BY notebooks.owner != ?, notebooks.owner, '
               'notebooks.abs_path',
               ('owner', 'owner', 'owner'),
               {}),
 'resolve': ('SELECT states.id \n'
             'FROM states \n'
             'WHERE states.notebook_id + ? = ? AND states.id >= ? AND states.id < ?\n'
             ' LIMIT ? OFFSET ?',
             ('notebook_id_1', 'nb', 'lo', 'hi', 'param_1', 'param_2'),
             {'notebook_id_1': 0, 'param_1': 2, 'param_2': 0}),
 'running': ('SELECT running."key", running.cell_id, running.code, running.started \n'
             'FROM running \n'
             'WHERE running.notebook_id = ? ORDER BY running.started',
             ('nb',),
             {}),
 'seq_of': ('SELECT states.seq \nFROM states \nWHERE states.id = ?', ('state',), {}),
 'state': ('SELECT states.id AS id, states.parent_id AS parent, states.seq AS seq, strftime(?, '
           'states.created, ?) AS time, states.event AS event, states.cell_id AS cell_id, '
           'states.cell_index AS cell_index, states.execution_count AS execution_count, '
           'states.status AS status, CASE WHEN (states.started IS NOT NULL AND states.ended IS NOT '
           'NULL) THEN max(?, CAST(round((states.ended - states.started) * ?) AS BIGINT)) END AS '
           'duration_ms, coalesce(states.preview, ?) AS preview, states.label AS label, '
           'states.restored_from AS restored_from, states.by_user AS by_user, states.by_client AS '
           'by_client, lower(hex(substr(states.sources_key, ?, ?))) AS sources_key, '
           'states.metadata_blob, states.layout_blob, states.code_blob, states.outputs_blob, '
           'states.kernel_id, states.started AS started_at, states.ended AS ended_at \n'
           'FROM states \n'
           'WHERE states.id = ? AND states.notebook_id = ?',
           ('strftime_1',
            'strftime_2',
            'max_1',
            'param_1',
            'coalesce_1',
            'substr_1',
            'substr_2',
            'state',
            'nb'),
           {'coalesce_1': '',
            'max_1': 0,
            'param_1': 1000,
            'strftime_1': '%Y-%m-%dT%H:%M:%f+00:00',
            'strftime_2': 'unixepoch',
            'substr_1': 1,
            'substr_2': 8}),
 'versions': ('SELECT cell_versions.id, cell_versions.cell_id, cell_versions.cell_type, '
              'cell_versions.execution_count, sb.codec AS s_codec, sb.data AS s_data, ob.codec AS '
              'o_codec, ob.data AS o_data, mb.codec AS m_codec, mb.data AS m_data \n'
              'FROM cell_versions JOIN blobs AS sb ON sb.id = cell_versions.source_blob LEFT OUTER '
              'JOIN blobs AS ob ON ob.id = cell_versions.outputs_blob LEFT OUTER JOIN blobs AS mb '
              'ON mb.id = cell_versions.metadata_blob \n'
              'WHERE cell_versions.id IN (__[POSTCOMPILE_ids])',
              ('ids',),
              {})}

# the schema's migrations: (name, needed to read)
MIGRATIONS = [('0001_initial', True),
 ('0002_search', False),
 ('0003_owners', True),
 ('0004_search_postgres', False),
 ('0005_actors', True),
 ('0006_cell_index', True),
 ('0007_blob_parts', True),
 ('0008_fewer_pages', True),
 ('0009_log_pages', False)]

'use client';
// The positions table (TanStack Table): sortable columns (header buttons with aria-sort), a symbol filter and an
// open/flat filter, unrealised P&L coloured by sign, exit levels with their distance from the last price.
import type { TPositionRow } from '@ai-trader/contracts';
import {
  flexRender, getCoreRowModel, getFilteredRowModel, getSortedRowModel, useReactTable, type ColumnDef, type Row, type SortingState,
} from '@tanstack/react-table';
import { memo, useMemo, useState } from 'react';
import { money, pct, pctFrom, pnl, pnlClass } from '@/lib/format';

type Show = 'all' | 'open' | 'flat';
const isOpen = (p: TPositionRow) => Number(p.qty) !== 0;
const n = (s: string | null) => (s === null ? undefined : Number(s)); // sorting only

export function PositionsTable({ rows, selected, onSelect, canAct, onClose }: {
  rows: TPositionRow[];
  selected: string | null;
  onSelect: (symbol: string) => void;
  canAct: boolean;
  onClose: (p: TPositionRow) => void;
}) {
  const [sorting, setSorting] = useState<SortingState>([{ id: 'symbol', desc: false }]);
  const [filter, setFilter] = useState('');
  const [show, setShow] = useState<Show>('all');
  const data = useMemo(() => rows.filter((p) => (show === 'all' ? true : show === 'open' ? isOpen(p) : !isOpen(p))), [rows, show]);

  const columns = useMemo<ColumnDef<TPositionRow>[]>(() => [
    {
      id: 'symbol', accessorKey: 'symbol', header: 'Symbol', filterFn: 'includesString',
      cell: ({ row }) => (
        <button type="button" className="link symbol-link" aria-pressed={selected === row.original.symbol} onClick={() => onSelect(row.original.symbol)}
          aria-label={`Chart and fills of ${row.original.symbol}`}>
          {row.original.symbol}
        </button>
      ),
    },
    { id: 'qty', accessorFn: (p) => n(p.qty), header: 'Qty', meta: { num: true }, cell: ({ row }) => row.original.qty },
    { id: 'avgCost', accessorFn: (p) => n(p.avgCost), header: 'Avg cost', meta: { num: true }, cell: ({ row }) => (isOpen(row.original) ? money(row.original.avgCost) : '—') },
    { id: 'last', accessorFn: (p) => n(p.lastPrice), header: 'Last', meta: { num: true }, sortUndefined: 'last', cell: ({ row }) => money(row.original.lastPrice) },
    { id: 'value', accessorFn: (p) => n(p.marketValue), header: 'Value', meta: { num: true }, cell: ({ row }) => money(row.original.marketValue) },
    {
      id: 'unrealized', accessorFn: (p) => n(p.unrealizedPnl), header: 'Unrealised', meta: { num: true },
      cell: ({ row: { original: p } }) => (
        <span className={pnlClass(p.unrealizedPnl)} data-testid="unrealized">
          {pnl(p.unrealizedPnl)}{p.unrealizedPct !== null && <span className="sub-num"> {pct(p.unrealizedPct)}</span>}
        </span>
      ),
    },
    { id: 'realized', accessorFn: (p) => n(p.realizedPnl), header: 'Realised', meta: { num: true }, cell: ({ row }) => <span className={pnlClass(row.original.realizedPnl)}>{pnl(row.original.realizedPnl)}</span> },
    { id: 'exits', header: 'Exit levels', enableSorting: false, cell: ({ row }) => <ExitLevels p={row.original} /> },
    {
      id: 'state', accessorFn: (p) => (p.closing ? 'closing' : isOpen(p) ? 'open' : 'flat'), header: 'State',
      cell: ({ row: { original: p } }) =>
        p.closing ? <span className="status status-closing">closing {p.closing.qty}{p.closing.exitReason ? ` (${p.closing.exitReason})` : ''}</span>
        : <span className={`status status-${isOpen(p) ? 'open' : 'flat'}`}>{isOpen(p) ? 'open' : 'flat'}</span>,
    },
    ...(canAct ? [{
      id: 'actions', header: () => <span className="visually-hidden">Actions</span>, enableSorting: false,
      cell: ({ row: { original: p } }: { row: { original: TPositionRow } }) => (
        <button type="button" className="small" disabled={!isOpen(p) || !!p.closing} onClick={() => onClose(p)} aria-label={`Close ${p.symbol}`}
          title={p.closing ? 'a SELL is already working: see Orders' : !isOpen(p) ? 'flat: nothing to close' : undefined}>
          Close
        </button>
      ),
    } satisfies ColumnDef<TPositionRow>] : []),
  ], [selected, onSelect, canAct, onClose]);

  // State passed in must keep its identity between renders: a new array each render would make the table recompute
  // and reset its (unused) page index on every render, which re-renders again — forever.
  const columnFilters = useMemo(() => [{ id: 'symbol', value: filter.trim().toUpperCase() }], [filter]);
  const table = useReactTable({
    data, columns, state: { sorting, columnFilters }, autoResetPageIndex: false, sortDescFirst: false,
    onSortingChange: setSorting, getCoreRowModel: getCoreRowModel(), getSortedRowModel: getSortedRowModel(), getFilteredRowModel: getFilteredRowModel(),
    getRowId: (p) => p.symbol,
  });
  const shown = table.getRowModel().rows;

  return (
    <section aria-label="Positions table">
      <div className="table-tools">
        <label>Filter symbols <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="e.g. SPY" autoComplete="off" /></label>
        <label>Show
          <select value={show} onChange={(e) => setShow(e.target.value as Show)}>
            <option value="all">open and flat</option><option value="open">open only</option><option value="flat">flat only</option>
          </select>
        </label>
        <span className="muted" aria-live="polite">{shown.length} of {rows.length} positions</span>
      </div>
      <table data-testid="positions-table" className="positions">
        <thead>
          {table.getHeaderGroups().map((g) => (
            <tr key={g.id}>
              {g.headers.map((h) => {
                const sorted = h.column.getIsSorted();
                const num = (h.column.columnDef.meta as { num?: boolean } | undefined)?.num;
                return (
                  <th key={h.id} className={num ? 'num' : undefined} aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : undefined}>
                    {h.column.getCanSort() ? (
                      <button type="button" className="sort" onClick={h.column.getToggleSortingHandler()} data-column={h.id}>
                        {flexRender(h.column.columnDef.header, h.getContext())}<span aria-hidden="true">{sorted === 'asc' ? ' ▲' : sorted === 'desc' ? ' ▼' : ' ↕'}</span>
                      </button>
                    ) : flexRender(h.column.columnDef.header, h.getContext())}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {rows.length === 0 && <tr><td colSpan={columns.length} className="empty">No positions yet: they appear here when the first order fills.</td></tr>}
          {rows.length > 0 && shown.length === 0 && <tr><td colSpan={columns.length} className="empty">No position matches the filters.</td></tr>}
          {shown.map((r) => <PositionTr key={r.id} row={r} selected={selected === r.original.symbol} columns={columns} />)}
        </tbody>
      </table>
    </section>
  );
}

/** One row, rendered again only when its position changed (Positions keeps unchanged rows' objects), it was selected or
 *  unselected, or the columns changed: a push re-rendering 1,000 rows took ~100 ms in the browser. */
const PositionTr = memo(
  function PositionTr({ row, selected }: { row: Row<TPositionRow>; selected: boolean; columns: unknown }) {
    return (
      <tr data-symbol={row.original.symbol} data-qty={row.original.qty} data-closing={row.original.closing ? 'true' : 'false'} className={selected ? 'selected' : undefined}>
        {row.getVisibleCells().map((c) => (
          <td key={c.id} className={(c.column.columnDef.meta as { num?: boolean } | undefined)?.num ? 'num' : undefined}>{flexRender(c.column.columnDef.cell, c.getContext())}</td>
        ))}
      </tr>
    );
  },
  (a, b) => a.row.original === b.row.original && a.selected === b.selected && a.columns === b.columns,
);

export function ExitLevels({ p }: { p: TPositionRow }) {
  if (!p.stopPrice && !p.targetPrice && !p.trailPct) return <span className="muted">none</span>;
  return (
    <ul className="levels">
      {p.stopPrice && <li>stop {money(p.stopPrice)} <span className="muted">{pctFrom(p.stopPrice, p.lastPrice)}</span></li>}
      {p.targetPrice && <li>target {money(p.targetPrice)} <span className="muted">{pctFrom(p.targetPrice, p.lastPrice)}</span></li>}
      {p.trailPct && <li>trail {p.trailPct} %{p.trailStop && <> at {money(p.trailStop)} <span className="muted">(high {money(p.highWater)})</span></>}</li>}
    </ul>
  );
}

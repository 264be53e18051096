/*
 * pgm_loop: the test bed's extension that never serves an interrupt.
 * pgm_loop_forever() sleeps 1 ms at a time in pg_usleep() and never calls
 * CHECK_FOR_INTERRUPTS(), the way a faulty FDW or library call loops:
 * pg_cancel_backend and pg_terminate_backend return true, set
 * QueryCancelPending / ProcDiePending, and nothing happens.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(pgm_loop_forever);

Datum
pgm_loop_forever(PG_FUNCTION_ARGS)
{
	volatile bool forever = true;

	while (forever)
		pg_usleep(1000L);
	PG_RETURN_VOID();
}

/* dlist.h: intrusive doubly-linked lists with head and tail pointers (the flow, scan and suppression
 * tables' age lists). The element type carries its own prev/next fields, named by the caller. */
#ifndef MISPORT_DLIST_H
#define MISPORT_DLIST_H

/* Unlinks element e from the list (*headp, *tailp) through its fields prev and next, and clears them.
 * e must be on that list. */
#define MP_DLIST_REMOVE(headp, tailp, e, prev, next)                                                         \
	do {                                                                                                 \
		if ((e)->prev != NULL)                                                                       \
			(e)->prev->next = (e)->next;                                                         \
		else                                                                                         \
			*(headp) = (e)->next;                                                                \
		if ((e)->next != NULL)                                                                       \
			(e)->next->prev = (e)->prev;                                                         \
		else                                                                                         \
			*(tailp) = (e)->prev;                                                                \
		(e)->prev = (e)->next = NULL;                                                                \
	} while (0)

/* Appends element e, which is on no list, at the tail of the list (*headp, *tailp). */
#define MP_DLIST_APPEND(headp, tailp, e, prev, next)                                                         \
	do {                                                                                                 \
		(e)->next = NULL;                                                                            \
		(e)->prev = *(tailp);                                                                        \
		if (*(tailp) != NULL)                                                                        \
			(*(tailp))->next = (e);                                                              \
		else                                                                                         \
			*(headp) = (e);                                                                      \
		*(tailp) = (e);                                                                              \
	} while (0)

#endif
